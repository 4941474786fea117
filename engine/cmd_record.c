/*
 * cmd_record.c - the `podscaler record` command line (the work is in record.c).
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "podscaler/store.h"
#include "podscaler/kobj.h"
#include "podscaler/log.h"
#include "record.h"

static const char help[] =
    "Usage: podscaler record --db FILE [flags]\n"
    "\n"
    "Polls a live cluster's metrics API, pods and deployments into a history database,\n"
    "acting on nothing, for a later replay or report ('podscaler replay FILE').\n"
    "\n"
    "Flags:\n"
    "  --db FILE           history database to write, created when missing (required)\n"
    "  --kubeconfig FILE   kubeconfig to use (default: $KUBECONFIG, ~/.kube/config,\n"
    "                      then the pod's service account)\n"
    "  --context NAME      kubeconfig context\n"
    "  -n, --namespace NS  namespace to record (default: the context's)\n"
    "  -A, --all-namespaces\n"
    "                      record every namespace\n"
    "  --interval DUR      poll interval, a Go duration such as 15s or 1m30s (default 15s)\n"
    "  --duration DUR      stop after DUR (default: until SIGINT/SIGTERM)\n"
    "  --retention DUR     prune history older than DUR, hourly (default 192h, the VPA's\n"
    "                      8-day history; at least 1h; 0 keeps everything)\n"
    "  --log-level LEVEL   debug, info, warn, error or off (default info); the error\n"
    "                      that ends a run is printed at every level\n"
    "  -h, --help          show this help\n"
    "\n"
    "Each flag is given once, as --flag VALUE or --flag=VALUE.\n"
    "\n"
    "SIGINT or SIGTERM stops it cleanly; every poll is one transaction, so a kill\n"
    "loses at most the poll in flight. See docs/record.md.\n";

/* Shortest interval accepted: below this the API server, not the workload, is measured. */
#define RECORD_MIN_INTERVAL_MS 100

static int parse_duration_ms(const char *text, int64_t *out)
{
    int64_t ns;
    if (kobj_parse_duration_ns(text, &ns) != 0 || ns <= 0)
        return -1;
    *out = ns / 1000000;
    return 0;
}

/* A namespace is a DNS label (RFC 1123): it goes into URL paths as is. */
static int valid_namespace(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int cmd_record(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(help, stdout);
        return PS_EXIT_OK;
    }
    struct record_opts o = {.interval_ms = RECORD_DEFAULT_INTERVAL_MS,
                            .retention_s = STORE_DEFAULT_RETENTION_S};
    const char *interval = NULL, *duration = NULL, *level = NULL, *retention = NULL;
    const struct {
        const char *name;
        const char **dst;
    } valued[] = {{"--db", &o.db},
                  {"--kubeconfig", &o.kubeconfig},
                  {"--context", &o.context},
                  {"--namespace", &o.ns},
                  {"-n", &o.ns},
                  {"--interval", &interval},
                  {"--duration", &duration},
                  {"--retention", &retention},
                  {"--log-level", &level}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--all-namespaces") == 0 || strcmp(a, "-A") == 0) {
            o.all_namespaces = 1;
            continue;
        }
        int rc = 0;
        for (size_t k = 0; rc == 0 && k < sizeof valued / sizeof valued[0]; k++)
            rc = cmd_flag_value("record", argc, argv, &i, valued[k].name, valued[k].dst);
        if (rc < 0)
            return -rc;
        if (rc)
            continue;
        if (a[0] == '-')
            return cmd_usage_error("record", "unknown flag %s", a);
        return cmd_usage_error("record", "unexpected argument %s", a);
    }
    if (!o.db || !o.db[0])
        return cmd_usage_error("record", "--db FILE is required");
    if (o.all_namespaces && o.ns)
        return cmd_usage_error("record", "--namespace and --all-namespaces exclude each other");
    if (o.ns && !valid_namespace(o.ns))
        return cmd_usage_error("record", "--namespace %s: not a namespace name", o.ns);
    if (interval && parse_duration_ms(interval, &o.interval_ms) != 0)
        return cmd_usage_error("record", "--interval %s: not a positive duration (e.g. 15s)",
                               interval);
    if (o.interval_ms < RECORD_MIN_INTERVAL_MS)
        return cmd_usage_error("record", "--interval must be at least %dms",
                               RECORD_MIN_INTERVAL_MS);
    if (retention) {
        int64_t ms = 0;
        if (strcmp(retention, "0") != 0 && parse_duration_ms(retention, &ms) != 0)
            return cmd_usage_error("record", "--retention %s: not a duration (e.g. 192h) or 0",
                                   retention);
        o.retention_s = ms / 1000;
        if (strcmp(retention, "0") != 0 && o.retention_s < 3600)
            return cmd_usage_error("record", "--retention must be 0 or at least 1h");
    }
    if (duration && parse_duration_ms(duration, &o.duration_ms) != 0)
        return cmd_usage_error("record", "--duration %s: not a positive duration (e.g. 10m)",
                               duration);
    if (level) {
        enum ps_log_level lv;
        if (ps_log_parse_level(level, &lv) != 0)
            return cmd_usage_error("record", "--log-level %s: not a level", level);
        ps_log_set_level(lv);
    }
    return record_run(&o);
}
