/*
 * Flotilla's pod sandbox ("pause") program: holds the pod's network namespace, sleeps forever,
 * reaps zombies (when it is PID 1 of a shared PID namespace) and exits 0 on SIGTERM or SIGINT.
 *
 * No libc: a handful of raw system calls, so the static binary is about a kilobyte and the sandbox
 * image can be made on any node with `docker import`, without a registry. Built for x86-64 and
 * arm64 by scripts/build-sandbox.sh.
 *
 * No signal handlers: every signal is blocked and taken synchronously with rt_sigtimedwait. Blocked
 * signals are queued even for PID 1 (which otherwise drops signals whose action is the default).
 */
#define SIGINT 2
#define SIGTERM 15
#define SIGCHLD 17
#define SIG_BLOCK 0
#define WNOHANG 1

#if defined(__x86_64__)
#define NR_rt_sigprocmask 14
#define NR_wait4 61
#define NR_rt_sigtimedwait 128
#define NR_exit_group 231
static long sys4(long n, long a, long b, long c, long d) {
  register long r10 __asm__("r10") = d;
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
#define NR_rt_sigprocmask 135
#define NR_rt_sigtimedwait 137
#define NR_wait4 260
#define NR_exit_group 94
static long sys4(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
#else
#error "unsupported architecture"
#endif

#define BIT(sig) (1UL << ((sig) - 1))

__attribute__((noreturn, used)) void pause_main(void) {
  unsigned long all = ~0UL;
  unsigned long wanted = BIT(SIGINT) | BIT(SIGTERM) | BIT(SIGCHLD);
  sys4(NR_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, sizeof all);
  for (;;) {
    long sig = sys4(NR_rt_sigtimedwait, (long)&wanted, 0, 0, sizeof wanted);
    if (sig == SIGINT || sig == SIGTERM) sys4(NR_exit_group, 0, 0, 0, 0);
    if (sig == SIGCHLD)
      while (sys4(NR_wait4, -1, 0, WNOHANG, 0) > 0) {
      }
  }
}

/* The entry point: align the stack as a C call expects, then never return. */
#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n  andq $-16, %rsp\n  call pause_main\n");
#else
__asm__(".globl _start\n_start:\n  bl pause_main\n");
#endif
