/* semihost.h: the few ARM semihosting calls the firmware uses (BKPT 0xAB; QEMU -semihosting). */
#ifndef RADARGEST_SEMIHOST_H
#define RADARGEST_SEMIHOST_H

#include <stdint.h>

/* Open a host file for binary reading; returns a handle, or -1. */
int32_t rg_semihost_open(const char *path);
/* Read len bytes; returns the number of bytes NOT read (0 = all). */
int32_t rg_semihost_read(int32_t handle, void *buf, uint32_t len);
/* Move to an absolute byte offset; returns 0 on success. */
int32_t rg_semihost_seek(int32_t handle, uint32_t offset);
/* Write a NUL-terminated string to the host's console. */
void rg_semihost_write0(const char *text);
/* End the emulation with an exit status. */
void rg_semihost_exit(int32_t status);

#endif /* RADARGEST_SEMIHOST_H */
