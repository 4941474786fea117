/*
 * cmd_replay.c - `podscaler replay`: what policies would have done on recorded
 * usage, side by side (docs/replay.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "outfile.h"
#include "podscaler/clock.h"
#include "podscaler/policy.h"
#include "podscaler/replay.h"
#include "podscaler/trace.h"

static const char help[] =
    "Usage: podscaler replay INPUT [flags]\n"
    "\n"
    "Re-plays recorded usage (a CSV trace or a history database) through the decision\n"
    "pipeline on a virtual clock and scores each policy side by side. Figures are\n"
    "estimates under the closed-loop model of docs/replay.md.\n"
    "\n"
    "Flags:\n"
    "  --policy NAME|FILE      a built-in policy or a policy file (YAML or JSON); repeatable.\n"
    "                          Built-ins: static, hpa, vpa, hpa+vpa-naive, coordinated.\n"
    "                          Default: every built-in available in this build.\n"
    "  --format FMT            table (default), json, csv or html\n"
    "  -o, --output FILE       write the result to FILE instead of stdout\n"
    "  --decisions FILE        write every decision as JSON lines to FILE\n"
    "  --initial-requests RULE requests the pods start with (and static keeps):\n"
    "                          auto (default: recorded if the input has requests, else p95*1.15),\n"
    "                          recorded, pNN[*F], max[*F], or cpu=R,memory=R (each R a\n"
    "                          quantity, pNN[*F] or max[*F])\n"
    "  --from DUR, --to DUR    replay only samples with t in [from, to] (e.g. 3600, 90m, 2h, 1d)\n"
    "  --model-fallback FB     usage model where a workload's replica count never varied:\n"
    "                          floor (default: the idle floor is per pod, the rest is load),\n"
    "                          load (all usage shared over the replicas), fixed (all per pod),\n"
    "                          or per resource: cpu=WORD,memory=WORD\n"
    "  --skip-bad-rows         skip malformed CSV rows (counted on stderr) instead of failing\n"
    "  --per-workload          table: the scores of each workload too, after the totals\n"
    "  -q, --quiet             no progress bar and no notes on stderr\n"
    "  -h, --help              show this help\n"
    "\n"
    "Flags take their value as --flag VALUE or --flag=VALUE; each is given once, but\n"
    "--policy. Exit status: 0 success, 1 bad input or failure, 2 usage error.\n";

#define MAX_POLICIES 32

/* Seconds from "90", "90s", "15m", "2h" or "1d". */
static int parse_duration(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno || v < 0)
        return PS_EINVAL;
    long long mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (*end || v > INT64_MAX / mul)
        return PS_EINVAL;
    *out = v * mul;
    return 0;
}

struct progress {
    int enabled;
    int shown;
    ps_time_ms start_ms;
    const char *policy;
    const char *drawn_policy; /* what the bar last showed, to redraw only on change */
    int drawn_pct;
    FILE *dec; /* --decisions, or NULL */
};

static int decision_cb(void *ctx, const struct replay_decision *d)
{
    struct progress *p = ctx;
    return replay_decision_jsonl(p->dec, d);
}

static void progress_cb(void *ctx, size_t done, size_t total)
{
    struct progress *p = ctx;
    if (!p->enabled || total == 0)
        return;
    /* Only replays that take longer than a second get a bar. */
    if (!p->shown && ps_clock_mono_ms() - p->start_ms < 1000)
        return;
    p->shown = 1;
    int pct = (int)(100.0 * (double)done / (double)total);
    if (p->drawn_policy == p->policy && p->drawn_pct == pct)
        return;
    p->drawn_policy = p->policy;
    p->drawn_pct = pct;
    int width = 40, fill = (int)((double)done / (double)total * width);
    if (fill > width)
        fill = width;
    fprintf(stderr, "\r%-14.14s [", p->policy);
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : ' ', stderr);
    fprintf(stderr, "] %3d%%", pct);
    fflush(stderr);
}

static int resolve_policy(const char *arg, struct ps_policy *out, int *exit_code)
{
    char err[512];
    if (policy_builtin(arg, out) == 0)
        return 0;
    if (access(arg, F_OK) != 0) {
        *exit_code = cmd_usage_error(
            "replay",
            "unknown policy '%s': not a built-in (static, hpa, vpa, hpa+vpa-naive, coordinated) "
            "and no such file",
            arg);
        return -1;
    }
    if (policy_load_file(arg, out, err, sizeof(err))) {
        fprintf(stderr, "podscaler replay: %s\n", err);
        *exit_code = PS_EXIT_FAILURE;
        return -1;
    }
    return 0;
}

int cmd_replay(int argc, char **argv)
{
    const char *input = NULL, *out_path = NULL, *decisions_path = NULL;
    const char *format_arg = NULL, *rule_arg = NULL, *fallback_arg = NULL, *from_arg = NULL,
               *to_arg = NULL;
    const char *policy_args[MAX_POLICIES];
    size_t n_policy_args = 0;
    enum replay_format fmt = REPLAY_FORMAT_TABLE;
    struct replay_input_opts iopts = {
        .rule = {.kind = REPLAY_RULE_AUTO, .factor = 1.0}, .from_s = 0, .to_s = -1};
    struct trace_load_opts lopts = {0};
    int quiet = 0, dashdash = 0;
    unsigned wflags = 0;
    char err[512];

    if (cmd_wants_help(argc, argv)) {
        fputs(help, stdout);
        return PS_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (!dashdash && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
                quiet = 1;
                continue;
            }
            if (strcmp(a, "--per-workload") == 0) {
                wflags |= REPLAY_WRITE_PER_WORKLOAD;
                continue;
            }
            if (strcmp(a, "--skip-bad-rows") == 0) {
                lopts.skip_bad_rows = 1;
                continue;
            }
            /* Each valued flag once; --policy is the one that repeats. */
            const char *policy = NULL;
            int rc = cmd_flag_value("replay", argc, argv, &i, "--policy", &policy);
            if (rc == 1) {
                if (n_policy_args == MAX_POLICIES)
                    return cmd_usage_error("replay", "more than %d --policy flags", MAX_POLICIES);
                policy_args[n_policy_args++] = policy;
                continue;
            }
            const struct {
                const char *name;
                const char **dst;
            } valued[] = {{"--format", &format_arg},
                          {"-o", &out_path},
                          {"--output", &out_path},
                          {"--decisions", &decisions_path},
                          {"--initial-requests", &rule_arg},
                          {"--model-fallback", &fallback_arg},
                          {"--from", &from_arg},
                          {"--to", &to_arg}};
            for (size_t k = 0; rc == 0 && k < sizeof(valued) / sizeof(valued[0]); k++)
                rc = cmd_flag_value("replay", argc, argv, &i, valued[k].name, valued[k].dst);
            if (rc < 0)
                return -rc;
            if (rc == 0)
                return cmd_usage_error("replay", "unknown flag '%s'", a);
        } else if (!input) {
            input = a;
        } else {
            return cmd_usage_error("replay", "more than one INPUT ('%s' and '%s')", input, a);
        }
    }
    if (format_arg && replay_format_parse(format_arg, &fmt))
        return cmd_usage_error("replay", "--format '%s': expected table, json, csv or html",
                               format_arg);
    if (rule_arg && replay_rule_parse(rule_arg, &iopts.rule, err, sizeof(err)))
        return cmd_usage_error("replay", "--initial-requests %s", err);
    if (fallback_arg && replay_fallback_parse(fallback_arg, &iopts.fallback_cpu,
                                              &iopts.fallback_mem, err, sizeof(err)))
        return cmd_usage_error("replay", "--model-fallback %s", err);
    if (from_arg && parse_duration(from_arg, &iopts.from_s))
        return cmd_usage_error("replay", "--from '%s': expected a duration", from_arg);
    if (to_arg && parse_duration(to_arg, &iopts.to_s))
        return cmd_usage_error("replay", "--to '%s': expected a duration", to_arg);
    if (!input)
        return cmd_usage_error("replay", "missing INPUT (a CSV trace or a history database)");
    if (iopts.to_s >= 0 && iopts.to_s < iopts.from_s)
        return cmd_usage_error("replay", "--to is before --from");

    /* Policies first: a usage error should not wait for a large trace to load. */
    struct ps_policy policies[MAX_POLICIES];
    size_t n_pol = 0;
    int code = PS_EXIT_OK;
    if (n_policy_args) {
        for (size_t i = 0; i < n_policy_args; i++) {
            if (resolve_policy(policy_args[i], &policies[n_pol], &code))
                return code;
            for (size_t k = 0; k < n_pol; k++)
                if (strcmp(policies[k].name, policies[n_pol].name) == 0)
                    return cmd_usage_error("replay", "policy '%s' is given twice",
                                           policies[n_pol].name);
            if (pipeline_policy_available(&policies[n_pol], err, sizeof(err))) {
                fprintf(stderr,
                        "podscaler replay: policy '%s' is not available in this build: %s\n",
                        policies[n_pol].name, err);
                return PS_EXIT_USAGE;
            }
            n_pol++;
        }
    } else {
        char skipped[256] = "";
        for (const char *const *n = policy_builtin_names; *n; n++) {
            policy_builtin(*n, &policies[n_pol]);
            if (pipeline_policy_available(&policies[n_pol], err, sizeof(err)) == 0) {
                n_pol++;
            } else {
                size_t used = strlen(skipped);
                snprintf(skipped + used, sizeof(skipped) - used, "%s%s", used ? ", " : "", *n);
            }
        }
        if (skipped[0] && !quiet)
            fprintf(stderr, "podscaler replay: note: not available in this build: %s\n", skipped);
    }

    /* The output files are opened first, so that a wrong path fails before any
     * work; each appears only when the replay succeeds (outfile.h). */
    FILE *out = stdout;
    struct out_file of = {0}, df = {0};
    if (out_path) {
        if (out_file_open(&of, out_path, input, err, sizeof(err))) {
            fprintf(stderr, "podscaler replay: %s\n", err);
            return PS_EXIT_FAILURE;
        }
        out = of.f;
    }
    if (decisions_path && out_file_open(&df, decisions_path, input, err, sizeof(err))) {
        fprintf(stderr, "podscaler replay: %s\n", err);
        if (out_path)
            out_file_abort(&of);
        return PS_EXIT_FAILURE;
    }
    /* Compared where each goes: two spellings of one file, or one device. */
    if (out_path && decisions_path &&
        strcmp(of.final ? of.final : out_path, df.final ? df.final : decisions_path) == 0) {
        out_file_abort(&of);
        out_file_abort(&df);
        return cmd_usage_error("replay", "-o and --decisions name the same file '%s'", out_path);
    }
    /* The bar appears once the whole command has run for a second, load included. */
    const ps_time_ms started_ms = ps_clock_mono_ms();
    struct trace *trace = NULL;
    struct trace_error terr;
    memset(&terr, 0, sizeof(terr));
    int rc = trace_load_any(input, &lopts, &trace, &terr);
    if (rc) {
        if (terr.line > 0)
            fprintf(stderr, "podscaler replay: %s:%ld: %s%s%s\n", terr.file[0] ? terr.file : input,
                    terr.line, terr.field, terr.field[0] ? ": " : "", terr.message);
        else
            fprintf(stderr, "podscaler replay: %s: %s%s%s\n", terr.file[0] ? terr.file : input,
                    terr.field, terr.field[0] ? ": " : "",
                    terr.message[0] ? terr.message : ps_strerror(rc));
        code = PS_EXIT_FAILURE;
        goto fail_early;
    }
    if (lopts.bad_rows_skipped && !quiet)
        fprintf(stderr, "podscaler replay: note: %ld bad rows skipped in %s\n",
                lopts.bad_rows_skipped, input);

    struct replay_input *rin = NULL;
    struct replay_result *runs[MAX_POLICIES] = {0};
    size_t n_runs = 0;
    FILE *dec = decisions_path ? df.f : NULL;
    code = PS_EXIT_FAILURE;
    rc = replay_input_new(trace, &iopts, &rin, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "podscaler replay: %s\n", err);
        goto done;
    }
    struct progress prog = {
        .enabled = !quiet && isatty(STDERR_FILENO), .start_ms = started_ms, .dec = dec};
    struct replay_sink sink = {
        .ctx = &prog, .decision = dec ? decision_cb : NULL, .progress = progress_cb};
    struct replay_run_opts ropts = {.series = fmt == REPLAY_FORMAT_HTML};
    for (size_t i = 0; i < n_pol; i++) {
        prog.policy = policies[i].name;
        ps_time_ms t0 = ps_clock_mono_ms();
        rc = replay_run(rin, &policies[i], &ropts, &sink, &runs[n_runs], err, sizeof(err));
        if (rc) {
            if (prog.shown)
                fputc('\n', stderr);
            fprintf(stderr, "podscaler replay: %s\n", err);
            goto done;
        }
        runs[n_runs]->elapsed_s = (double)(ps_clock_mono_ms() - t0) / 1000.0;
        n_runs++;
        progress_cb(&prog, 1, 1);
    }
    if (prog.shown)
        fputs("\r\033[K", stderr);
    rc = replay_write(out, fmt, rin, runs, n_runs, wflags);
    if (rc) {
        fprintf(stderr, "podscaler replay: writing %s: %s\n", out_path ? out_path : "stdout",
                ps_strerror(rc));
        goto done;
    }
    /* The decisions first: a report names them, so they must not be missing. */
    if (decisions_path && out_file_commit(&df, err, sizeof(err))) {
        fprintf(stderr, "podscaler replay: %s\n", err);
        goto done;
    }
    if (out_path && out_file_commit(&of, err, sizeof(err))) {
        fprintf(stderr, "podscaler replay: %s\n", err);
        goto done;
    }
    code = PS_EXIT_OK;
done:
    for (size_t i = 0; i < n_runs; i++)
        replay_result_free(runs[i]);
    replay_input_free(rin);
    trace_free(trace);
fail_early:
    if (out_path)
        out_file_abort(&of); /* nothing left to do after a commit */
    if (decisions_path)
        out_file_abort(&df);
    return code;
}
