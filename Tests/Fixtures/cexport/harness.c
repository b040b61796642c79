/* Test harness for an exported fsb C module (fsb export --format c).
   Usage: harness IMAGES.bin [--update U.fsbupd] [--repeat N]
   IMAGES.bin holds N images of FSB_MODEL_CHANNELS*HEIGHT*WIDTH raw bytes each (CHW).
   With --update, applies the update first and prints "update <code>".
   Prints one line per image: "<predicted> <score_0> ... <score_{classes-1}>".
   --repeat N classifies the first image N times and prints nothing else (for counting
   instructions per inference). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsb_model.h"

#define IMAGE_BYTES (FSB_MODEL_CHANNELS * FSB_MODEL_HEIGHT * FSB_MODEL_WIDTH)

static unsigned char *read_file(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    *size = ftell(f);
    if (*size < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return NULL; }
    data = malloc((size_t)*size + 1);
    if (data == NULL || fread(data, 1, (size_t)*size, f) != (size_t)*size) { free(data); fclose(f); return NULL; }
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    const char *images_path = NULL, *update_path = NULL;
    long repeat = 0, size = 0, count, i;
    int32_t scores[FSB_MODEL_CLASSES];
    unsigned char *images;
    int a, k;
    for (a = 1; a < argc; ++a) {
        if (strcmp(argv[a], "--update") == 0 && a + 1 < argc) update_path = argv[++a];
        else if (strcmp(argv[a], "--repeat") == 0 && a + 1 < argc) repeat = strtol(argv[++a], NULL, 10);
        else images_path = argv[a];
    }
    if (images_path == NULL) { fprintf(stderr, "usage: %s IMAGES.bin [--update U.fsbupd] [--repeat N]\n", argv[0]); return 2; }
    if (update_path != NULL) {
        long update_size = 0;
        unsigned char *update = read_file(update_path, &update_size);
        if (update == NULL) { fprintf(stderr, "%s: cannot read\n", update_path); return 2; }
        printf("update %d\n", fsb_model_apply_update(update, (size_t)update_size));
        free(update);
    }
    images = read_file(images_path, &size);
    if (images == NULL || size % IMAGE_BYTES != 0) { fprintf(stderr, "%s: cannot read whole images\n", images_path); return 2; }
    count = size / IMAGE_BYTES;
    if (repeat > 0) {
        int sum = 0;
        for (i = 0; i < repeat; ++i) sum += fsb_model_classify(images, scores);
        free(images);
        return sum < 0 ? 1 : 0;
    }
    for (i = 0; i < count; ++i) {
        const int predicted = fsb_model_classify(images + i * IMAGE_BYTES, scores);
        printf("%d", predicted);
        for (k = 0; k < FSB_MODEL_CLASSES; ++k) printf(" %ld", (long)scores[k]);
        printf("\n");
    }
    free(images);
    return 0;
}
