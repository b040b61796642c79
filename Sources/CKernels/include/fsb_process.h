// Process control that Swift cannot call directly (prctl is variadic in C).
#ifndef FSB_PROCESS_H
#define FSB_PROCESS_H

/// Asks the kernel to send `signal_number` to this process when its parent dies
/// (Linux PR_SET_PDEATHSIG). Returns 0 on success, -1 where unsupported or on error.
int fsb_set_parent_death_signal(int signal_number);

#endif
