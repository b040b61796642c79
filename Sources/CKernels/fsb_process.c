// Process control for fsb: the parent-death signal of compare's child trainings.
#include "fsb_process.h"

#ifdef __linux__
#include <sys/prctl.h>
#endif

int fsb_set_parent_death_signal(int signal_number) {
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal_number, 0UL, 0UL, 0UL);
#else
    (void)signal_number;
    return -1;
#endif
}
