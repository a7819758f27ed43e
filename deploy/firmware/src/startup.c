/*
 * startup.c: reset handler and vector table of the radargest firmware (Cortex-M4F, QEMU mps2-an386).
 *
 * The reset handler copies .data from flash, zeroes .bss, enables the FPU (CP10/CP11 full access) and
 * calls main(); main's return value leaves QEMU through semihosting. Any fault ends the run with status 3.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t __data_load;
extern uint32_t __data_start;
extern uint32_t __data_end;
extern uint32_t __bss_start;
extern uint32_t __bss_end;
extern uint32_t __stack_top;

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

#define RG_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void)
{
    uint32_t *src = &__data_load;
    uint32_t *dst = &__data_start;
    while (dst < &__data_end) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start; dst < &__bss_end; ++dst) {
        *dst = 0u;
    }
    RG_CPACR |= (0xFu << 20);
    __asm volatile("dsb\n\tisb" ::: "memory");
    rg_semihost_exit(main());
    for (;;) {
    }
}

void Fault_Handler(void)
{
    rg_semihost_write0("radargest firmware: fault\n");
    rg_semihost_exit(3);
    for (;;) {
    }
}

/* initial stack pointer, reset, NMI, HardFault, MemManage, BusFault, UsageFault */
__attribute__((section(".vectors"), used)) const uint32_t rg_vectors[16] = {
    (uint32_t)&__stack_top,
    (uint32_t)&Reset_Handler,
    (uint32_t)&Fault_Handler,
    (uint32_t)&Fault_Handler,
    (uint32_t)&Fault_Handler,
    (uint32_t)&Fault_Handler,
    (uint32_t)&Fault_Handler,
};
