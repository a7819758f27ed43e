/* semihost.c: see semihost.h. */
#include "semihost.h"

#include <string.h>

static int32_t rg_semihost_call(int32_t op, void *arg)
{
    register int32_t r0 __asm("r0") = op;
    register void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int32_t rg_semihost_open(const char *path)
{
    uint32_t args[3];
    args[0] = (uint32_t)path;
    args[1] = 1u; /* "rb" */
    args[2] = (uint32_t)strlen(path);
    return rg_semihost_call(0x01, args);
}

int32_t rg_semihost_read(int32_t handle, void *buf, uint32_t len)
{
    uint32_t args[3];
    args[0] = (uint32_t)handle;
    args[1] = (uint32_t)buf;
    args[2] = len;
    return rg_semihost_call(0x06, args);
}

int32_t rg_semihost_seek(int32_t handle, uint32_t offset)
{
    uint32_t args[2];
    args[0] = (uint32_t)handle;
    args[1] = offset;
    return rg_semihost_call(0x0A, args);
}

void rg_semihost_write0(const char *text)
{
    (void)rg_semihost_call(0x04, (void *)text);
}

void rg_semihost_exit(int32_t status)
{
    /* SYS_EXIT_EXTENDED: ADP_Stopped_ApplicationExit with the status as subcode */
    uint32_t args[2];
    args[0] = 0x20026u;
    args[1] = (uint32_t)status;
    (void)rg_semihost_call(0x20, args);
    (void)rg_semihost_call(0x18, (void *)0x20026u);
}
