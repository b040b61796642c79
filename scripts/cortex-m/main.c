/* Runs an exported fsb C module on QEMU's mps2-an386 (Cortex-M4): classifies the images of
   images.h, prints each predicted class, the number correct, and the APB timer ticks of
   the first inference and of a loop of 2,000,000 instructions (with -icount the virtual
   CPU runs a fixed number of instructions per timer tick). Output by semihosting. */
#include <stdint.h>
#include <string.h>

#include "fsb_model.h"
#include "images.h"

extern uint32_t _data_start, _data_end, _data_load, _bss_start, _bss_end, _stack_top;
int main(void);

void reset_handler(void) {
    uint32_t *src = &_data_load, *dst = &_data_start;
    while (dst < &_data_end) *dst++ = *src++;
    for (dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
    main();
    for (;;) {}
}

static void fault(void) { for (;;) {} }

__attribute__((section(".vectors"), used))
static const void *vectors[16] = { &_stack_top, (void *)reset_handler, (void *)fault, (void *)fault,
                                   (void *)fault, (void *)fault, (void *)fault };

static int semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void put(const char *s) { semihost(0x04, s); }

static void put_number(const char *label, uint32_t v) {
    char text[48], digits[12];
    int n = 0, i = 0;
    while (label[i] != 0) { text[i] = label[i]; ++i; }
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v != 0);
    while (n > 0) text[i++] = digits[--n];
    text[i++] = '\n';
    text[i] = 0;
    put(text);
}

#define TIMER0 ((volatile uint32_t *)0x40000000u)

int main(void) {
    int32_t scores[FSB_MODEL_CLASSES];
    uint32_t correct = 0, start, end, i;
    TIMER0[2] = 0xFFFFFFFFu; /* reload */
    TIMER0[1] = 0xFFFFFFFFu; /* value */
    TIMER0[0] = 1;           /* enable */
    /* Calibration: 2,000,000 instructions (a two-instruction loop). */
    start = TIMER0[1];
    __asm__ volatile("ldr r0, =1000000\n1: subs r0, r0, #1\n bne 1b" ::: "r0", "cc");
    end = TIMER0[1];
    put_number("calibration_ticks ", start - end);
    start = TIMER0[1];
    (void)fsb_model_classify(fsb_images[0], scores);
    end = TIMER0[1];
    put_number("ticks ", start - end);
    for (i = 0; i < FSB_IMAGE_COUNT; ++i) {
        const int predicted = fsb_model_classify(fsb_images[i], scores);
        put_number("class ", (uint32_t)predicted);
        if (predicted == fsb_labels[i]) ++correct;
    }
    put_number("correct ", correct);
    {
        static const uint32_t exit_block[2] = { 0x20026u, 0 };
        semihost(0x20, exit_block); /* SYS_EXIT_EXTENDED: application exit, status 0 */
        semihost(0x18, (const void *)0x20026u);
    }
    return 0;
}
