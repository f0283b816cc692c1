/* pause: the process that holds a pod sandbox's namespaces. It sleeps in sigsuspend forever,
 * reaps zombies (it is PID 1 of the pod when the PID namespace is shared) and exits 0 on
 * SIGINT or SIGTERM. Built with `gcc -static -Os` by scripts/images/build.sh. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) { (void)sig; stop = 1; }
static void on_chld(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

int main(void) {
  struct sigaction sa = {0};
  sigset_t block, wait_set;

  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &wait_set);
  sigdelset(&wait_set, SIGINT); /* wait with them unblocked */
  sigdelset(&wait_set, SIGTERM);
  sigdelset(&wait_set, SIGCHLD);

  sa.sa_handler = on_term;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  while (!stop) sigsuspend(&wait_set);
  return 0;
}
