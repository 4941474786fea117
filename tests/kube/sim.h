/*
 * sim.h - starts tests/kubesim for a C test and talks to its admin API.
 */
#ifndef PODSCALER_TEST_KUBE_SIM_H
#define PODSCALER_TEST_KUBE_SIM_H

#include <stdbool.h>
#include <sys/types.h>

struct sim {
    pid_t pid;
    char dir[256];
    char url[256];
    char token[256];
    char admin_token[256];
    int port;
    int out_fd; /* kubesim's stdout, kept open so it never gets EPIPE */
};

/* Starts kubesim.py (TLS) with extra arguments (NULL-terminated). 0 or -1. */
int sim_start(struct sim *s, const char *kubesim_py, const char *const *extra);
void sim_stop(struct sim *s);
/* A blocking admin request; returns the HTTP status or -1; *out (may be NULL)
 * receives the malloc'd body. */
long sim_admin(struct sim *s, const char *method, const char *path, const char *json, char **out);
/* DIR/<name>, in a static rotating buffer. */
const char *sim_path(const struct sim *s, const char *name);

#endif
