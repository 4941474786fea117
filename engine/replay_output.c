/*
 * replay_output.c - the replay's reports: an aligned table, JSON, CSV, a
 * self-contained HTML page with inline SVG charts, and decisions as JSON lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "podscaler/replay.h"
#include "podscaler/text.h"

const char replay_model_caveat[] =
    "Figures are estimates under the closed-loop model: where a policy runs a different "
    "number of replicas than the trace recorded, each pod's usage is a fixed per-pod part plus "
    "the load part divided over the replicas, fitted per workload, container and resource. "
    "Replay cannot model how a workload reacts to CPU throttling or to being OOM-killed.";

static const char model_formula[] =
    "per_pod_usage(t) = fixed + (recorded_pod_usage(t) - fixed) * recorded_replicas(t) / "
    "simulated_replicas(t)";
static const char model_fit[] =
    "fixed = least-squares intercept of the mean per-pod usage against 1/replicas over the "
    "steps where the workload ran, clamped to [0, idle floor], the idle floor being the 1st "
    "percentile of the mean per-pod usage; a slope <= 0 (per-pod usage did not fall as pods "
    "were added) makes all usage per pod (fit: per pod); when the recorded replica count never "
    "varied, the fallback of --model-fallback: the idle floor (floor, the default), 0 (all "
    "load) or all usage per pod (fixed)";

int replay_format_parse(const char *text, enum replay_format *out)
{
    static const char *const names[] = {"table", "json", "csv", "html"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (enum replay_format)i;
            return 0;
        }
    }
    return PS_EINVAL;
}

/* A path as JSON: the file system allows any bytes, JSON wants UTF-8; a byte
 * that is not is shown as U+FFFD rather than losing the whole "input". */
static json_t *path_json(const char *path)
{
    size_t len = strlen(path), at = ps_utf8_invalid_at(path, len);
    if (at == len)
        return json_string(path);
    char *fixed = malloc(len * 3 + 1);
    if (!fixed)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        at = i + ps_utf8_invalid_at(path + i, len - i);
        memcpy(fixed + o, path + i, at - i);
        o += at - i;
        if (at == len)
            break;
        memcpy(fixed + o, "\xef\xbf\xbd", 3);
        o += 3;
        i = at + 1;
    }
    json_t *j = json_stringn(fixed, o);
    free(fixed);
    return j;
}

/* ---- JSON ---- */

static json_t *scores_json(const struct replay_scores *s)
{
    return json_pack(
        "{s:f, s:f, s:f, s:f, s:I, s:f, s:I, s:I, s:I, s:f, s:f, s:f, s:f}", "cpu_slack",
        s->cpu_slack, "mem_slack", s->mem_slack, "cpu_under_fraction", s->cpu_under_fraction,
        "mem_over_request_fraction", s->mem_over_request_fraction, "oom_events",
        (json_int_t)s->oom_events, "oom_per_pod_day", s->oom_per_pod_day, "scale_events",
        (json_int_t)s->scale_events, "vertical_changes", (json_int_t)s->vertical_changes,
        "pod_restarts", (json_int_t)s->pod_restarts, "changes_per_day_p99", s->changes_per_day_p99,
        "pod_hours", s->pod_hours, "cpu_core_hours_requested", s->cpu_core_hours_requested,
        "mem_gib_hours_requested", s->mem_gib_hours_requested);
}

static json_t *build_json(const struct replay_input *in, struct replay_result *const *runs,
                          size_t n)
{
    struct replay_input_info info;
    replay_input_get_info(in, &info);
    json_t *doc = json_object();
    json_t *input =
        json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s}", "source", path_json(info.source),
                  "workloads", (json_int_t)info.n_workloads, "samples", (json_int_t)info.n_samples,
                  "step_s", (json_int_t)info.step_s, "steps", (json_int_t)info.n_steps, "from_s",
                  (json_int_t)info.from_s, "to_s", (json_int_t)info.to_s, "has_requests",
                  info.has_requests, "initial_requests", info.rule);
    json_t *fits = json_array();
    for (size_t w = 0; w < info.n_workloads; w++) {
        json_t *cs = json_array();
        const char *cname;
        struct replay_model_fit fit;
        for (size_t c = 0; replay_input_model(in, w, c, &cname, &fit) == 0; c++)
            json_array_append_new(cs, json_pack("{s:s, s:f, s:f, s:b, s:s, s:s}", "name", cname,
                                                "cpu_fixed_milli", fit.cpu_fixed_milli,
                                                "memory_fixed_bytes", fit.mem_fixed_bytes, "fitted",
                                                fit.fitted, "cpu_model", fit.cpu_model,
                                                "memory_model", fit.mem_model));
        json_array_append_new(
            fits, json_pack("{s:s, s:o}", "name", replay_input_workload(in, w), "containers", cs));
    }
    json_t *model = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:s}, s:b, s:s, s:o}", "name", "fixed-plus-load-per-replica",
        "formula", model_formula, "fit", model_fit, "fallback", "cpu", info.fallback_cpu, "memory",
        info.fallback_mem, "estimate", 1, "caveat", replay_model_caveat, "workloads", fits);
    json_t *pols = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct replay_result *r = runs[i];
        json_t *wls = json_array();
        for (size_t w = 0; w < r->n_workloads; w++) {
            json_t *o = scores_json(&r->workloads[w]);
            json_object_set_new(o, "name", json_string(replay_input_workload(in, w)));
            json_array_append_new(wls, o);
        }
        json_array_append_new(pols, json_pack("{s:s, s:o, s:o}", "name", r->policy, "totals",
                                              scores_json(&r->totals), "workloads", wls));
    }
    /* Names are UTF-8 by the time they get here (the trace reader and the
     * policy loader refuse others), so a part that failed is memory. */
    if (!doc || !input || !model || !pols || json_object_set_new(doc, "input", input) ||
        json_object_set_new(doc, "model", model) || json_object_set_new(doc, "policies", pols)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static int write_json(FILE *f, const struct replay_input *in, struct replay_result *const *runs,
                      size_t n)
{
    json_t *doc = build_json(in, runs, n);
    if (!doc)
        return PS_ENOMEM;
    int rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(doc);
    if (rc)
        return PS_EIO;
    return fputc('\n', f) == EOF ? PS_EIO : 0;
}

/* ---- CSV ---- */

static const char csv_header[] =
    "policy,workload,cpu_slack,mem_slack,cpu_under_fraction,mem_over_request_fraction,"
    "oom_events,oom_per_pod_day,scale_events,vertical_changes,pod_restarts,"
    "changes_per_day_p99,pod_hours,cpu_core_hours_requested,mem_gib_hours_requested\n";

/* RFC 4180: quote a field holding a comma, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_row(FILE *f, const char *policy, const char *wl, const struct replay_scores *s)
{
    csv_field(f, policy);
    fputc(',', f);
    csv_field(f, wl);
    fprintf(f, ",%.6f,%.6f,%.6f,%.6f,%lld,%.6f,%lld,%lld,%lld,%.6g,%.4f,%.4f,%.4f\n", s->cpu_slack,
            s->mem_slack, s->cpu_under_fraction, s->mem_over_request_fraction,
            (long long)s->oom_events, s->oom_per_pod_day, (long long)s->scale_events,
            (long long)s->vertical_changes, (long long)s->pod_restarts, s->changes_per_day_p99,
            s->pod_hours, s->cpu_core_hours_requested, s->mem_gib_hours_requested);
}

static int write_csv(FILE *f, const struct replay_input *in, struct replay_result *const *runs,
                     size_t n)
{
    fputs(csv_header, f);
    for (size_t i = 0; i < n; i++) {
        csv_row(f, runs[i]->policy, "*total*", &runs[i]->totals);
        for (size_t w = 0; w < runs[i]->n_workloads; w++)
            csv_row(f, runs[i]->policy, replay_input_workload(in, w), &runs[i]->workloads[w]);
    }
    return ferror(f) ? PS_EIO : 0;
}

/* ---- table ---- */

struct col {
    const char *head;
    int width;
};

static const struct col table_cols[] = {
    {"policy", 0},    {"cpu_slack", 9}, {"mem_slack", 9},   {"cpu_under", 9},  {"mem_over", 8},
    {"oom", 7},       {"oom/pod-d", 9}, {"scales", 6},      {"vertical", 8},   {"restarts", 8},
    {"chg/d p99", 9}, {"pod_h", 9},     {"cpu_core_h", 10}, {"mem_GiB_h", 10},
};

/* Terminal columns of a UTF-8 name: its characters, not its bytes (names are
 * UTF-8 by the time they get here), so that a policy named café pads right. */
static int text_cols(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void padded(FILE *f, const char *s, int width)
{
    fputs(s, f);
    for (int k = text_cols(s); k < width; k++)
        fputc(' ', f);
}

static void table_row(FILE *f, int w0, const char *name, const struct replay_scores *s)
{
    padded(f, name, w0);
    fprintf(f,
            "  %8.1f%%  %8.1f%%  %8.1f%%  %7.1f%%  %7lld  %9.3f  %6lld  %8lld  %8lld  %9.0f  "
            "%9.1f  %10.1f  %10.1f\n",
            100 * s->cpu_slack, 100 * s->mem_slack, 100 * s->cpu_under_fraction,
            100 * s->mem_over_request_fraction, (long long)s->oom_events, s->oom_per_pod_day,
            (long long)s->scale_events, (long long)s->vertical_changes, (long long)s->pod_restarts,
            s->changes_per_day_p99, s->pod_hours, s->cpu_core_hours_requested,
            s->mem_gib_hours_requested);
}

/* The caveat, folded at 100 columns for a terminal. */
static void folded(FILE *f, const char *text)
{
    const int width = 100;
    const char *p = text;
    while (*p) {
        size_t len = strlen(p);
        if (len <= (size_t)width) {
            fprintf(f, "%s\n", p);
            return;
        }
        int cut = width;
        while (cut > 0 && p[cut] != ' ')
            cut--;
        if (cut == 0)
            cut = width;
        fprintf(f, "%.*s\n", cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

static void table_head(FILE *f, int w0, const char *first)
{
    padded(f, first, w0);
    for (size_t c = 1; c < sizeof(table_cols) / sizeof(table_cols[0]); c++)
        fprintf(f, "  %*s", table_cols[c].width, table_cols[c].head);
    fputc('\n', f);
}

static int write_table(FILE *f, const struct replay_input *in, struct replay_result *const *runs,
                       size_t n, unsigned flags)
{
    struct replay_input_info info;
    replay_input_get_info(in, &info);
    int w0 = 6;
    for (size_t i = 0; i < n; i++)
        if (text_cols(runs[i]->policy) > w0)
            w0 = text_cols(runs[i]->policy);
    fprintf(
        f, "replay of %s: %zu workloads, %zu samples, %lld steps of %llds; initial requests %s\n\n",
        info.source, info.n_workloads, info.n_samples, (long long)info.n_steps,
        (long long)info.step_s, info.rule);
    table_head(f, w0, table_cols[0].head);
    for (size_t i = 0; i < n; i++)
        table_row(f, w0, runs[i]->policy, &runs[i]->totals);
    if (flags & REPLAY_WRITE_PER_WORKLOAD) {
        for (size_t w = 0; w < info.n_workloads; w++) {
            fprintf(f, "\nworkload %s\n", replay_input_workload(in, w));
            table_head(f, w0, table_cols[0].head);
            for (size_t i = 0; i < n; i++)
                table_row(f, w0, runs[i]->policy, &runs[i]->workloads[w]);
        }
    }
    fputc('\n', f);
    folded(f, replay_model_caveat);
    return ferror(f) ? PS_EIO : 0;
}

/* ---- HTML ---- */

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                      "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
#define N_PALETTE  (sizeof(palette) / sizeof(palette[0]))
#define CHART_W    720
#define CHART_H    160
#define CHART_PAD  40
#define MAX_POINTS 360

enum chart_kind { CHART_CPU, CHART_MEM, CHART_REPLICAS };

/* The value at step k of the workload's own steps (struct replay_series). */
static double series_value(const struct replay_series *s, enum chart_kind kind, int req, int64_t k)
{
    switch (kind) {
    case CHART_CPU:
        return req ? s->cpu_req_milli[k] : s->cpu_use_milli[k];
    case CHART_MEM:
        return req ? s->mem_req_bytes[k] : s->mem_use_bytes[k];
    default:
        return s->replicas[k];
    }
}

/* Points of one line, at most MAX_POINTS: each bucket of steps shows its maximum,
 * so that a short peak stays visible. The steps outside the workload's own are
 * 0: a bucket reads only those inside. */
static void polyline(FILE *f, const struct replay_series *s, enum chart_kind kind, int req,
                     int64_t n_steps, double ymax, const char *style)
{
    int64_t per = (n_steps + MAX_POINTS - 1) / MAX_POINTS;
    if (per < 1)
        per = 1;
    fprintf(f, "<polyline %s points=\"", style);
    for (int64_t b = 0; b * per < n_steps; b++) {
        double v = 0;
        int64_t lo = b * per - s->first_step, hi = (b + 1) * per - s->first_step;
        if (lo < 0)
            lo = 0;
        if (hi > s->n_steps)
            hi = s->n_steps;
        for (int64_t k = lo; k < hi; k++) {
            double x = series_value(s, kind, req, k);
            if (x > v)
                v = x;
        }
        double x = CHART_PAD + (double)(CHART_W - CHART_PAD - 10) * (double)(b * per) /
                                   (double)(n_steps > 1 ? n_steps - 1 : 1);
        double y = CHART_H - 20 - (ymax > 0 ? v / ymax : 0) * (CHART_H - 30);
        fprintf(f, "%.1f,%.1f ", x, y);
    }
    fputs("\"/>\n", f);
}

static void axis_label(char *buf, size_t cap, enum chart_kind kind, double v)
{
    if (kind == CHART_CPU)
        snprintf(buf, cap, "%.3g cores", v / 1000.0);
    else if (kind == CHART_MEM)
        snprintf(buf, cap, "%.3g GiB", v / (1024.0 * 1024.0 * 1024.0));
    else
        snprintf(buf, cap, "%.0f pods", v);
}

static void chart(FILE *f, struct replay_result *const *runs, size_t n, size_t w, int64_t n_steps,
                  int64_t step_s, enum chart_kind kind)
{
    static const char *const titles[] = {"CPU: usage (grey) and requests, all pods",
                                         "Memory: usage (grey) and requests, all pods", "Replicas"};
    static const char *const ids[] = {"cpu", "memory", "replicas"};
    double ymax = 0;
    for (size_t i = 0; i < n; i++)
        for (int64_t k = 0; k < runs[i]->series[w].n_steps; k++) {
            double a = series_value(&runs[i]->series[w], kind, 0, k);
            double b = series_value(&runs[i]->series[w], kind, 1, k);
            if (a > ymax)
                ymax = a;
            if (b > ymax)
                ymax = b;
        }
    ymax = ymax > 0 ? ymax * 1.05 : 1;
    char top[48];
    axis_label(top, sizeof(top), kind, ymax);
    fprintf(f,
            "<figure><figcaption>%s</figcaption>\n"
            "<svg class=\"chart chart-%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
            "<line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n"
            "<text x=\"2\" y=\"14\" font-size=\"10\">%s</text>"
            "<text x=\"%d\" y=\"%d\" font-size=\"10\">0</text>"
            "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%.1f h</text>\n",
            titles[kind], ids[kind], CHART_W, CHART_H, CHART_W, CHART_H, CHART_PAD, CHART_H - 20,
            CHART_W - 10, CHART_H - 20, CHART_PAD, CHART_PAD, CHART_H - 20, top, CHART_PAD,
            CHART_H - 6, CHART_W - 10, CHART_H - 6, (double)((n_steps - 1) * step_s) / 3600.0);
    if (kind != CHART_REPLICAS && n > 0)
        polyline(f, &runs[0]->series[w], kind, 0, n_steps, ymax,
                 "class=\"usage\" fill=\"none\" stroke=\"#aaa\" stroke-width=\"2\"");
    for (size_t i = 0; i < n; i++) {
        char style[160];
        snprintf(style, sizeof(style),
                 "class=\"policy-%zu\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\"%s", i,
                 palette[i % N_PALETTE], i >= N_PALETTE ? " stroke-dasharray=\"4 2\"" : "");
        polyline(f, &runs[i]->series[w], kind, 1, n_steps, ymax, style);
    }
    fputs("</svg></figure>\n", f);
}

static int write_html(FILE *f, const struct replay_input *in, struct replay_result *const *runs,
                      size_t n)
{
    struct replay_input_info info;
    replay_input_get_info(in, &info);
    for (size_t i = 0; i < n; i++)
        if (!runs[i]->series)
            return PS_EINVAL;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>podscaler replay</title>\n<style>\n"
          "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
          "table{border-collapse:collapse;font-size:0.85em}\n"
          "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}\n"
          "td:first-child,th:first-child{text-align:left}\n"
          "figure{margin:0.5em 0}figcaption{font-size:0.8em;color:#555}\n"
          ".legend span{display:inline-block;margin-right:1em}\n"
          ".note{font-size:0.85em;color:#555;max-width:60em}\n"
          "</style></head><body>\n<h1>podscaler replay</h1>\n<p>Input: <code>",
          f);
    html_text(f, info.source);
    fprintf(f, "</code>: %zu workloads, %zu samples, %lld steps of %lld s; initial requests ",
            info.n_workloads, info.n_samples, (long long)info.n_steps, (long long)info.step_s);
    html_text(f, info.rule);
    fputs(".</p>\n<p class=\"note\" id=\"caveat\">", f);
    html_text(f, replay_model_caveat);
    fputs("</p>\n<h2>Totals</h2>\n<table id=\"totals\"><tr><th>policy</th><th>cpu_slack</th>"
          "<th>mem_slack</th><th>cpu_under_fraction</th><th>mem_over_request_fraction</th>"
          "<th>oom_events</th><th>oom_per_pod_day</th><th>scale_events</th>"
          "<th>vertical_changes</th><th>pod_restarts</th><th>changes_per_day_p99</th>"
          "<th>pod_hours</th><th>cpu_core_hours_requested</th><th>mem_gib_hours_requested</th>"
          "</tr>\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const struct replay_scores *s = &runs[i]->totals;
        fputs("<tr><td>", f);
        html_text(f, runs[i]->policy);
        fprintf(f,
                "</td><td>%.1f%%</td><td>%.1f%%</td><td>%.1f%%</td><td>%.1f%%</td><td>%lld</td>"
                "<td>%.3f</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%.0f</td><td>%.1f</td>"
                "<td>%.1f</td><td>%.1f</td></tr>\n",
                100 * s->cpu_slack, 100 * s->mem_slack, 100 * s->cpu_under_fraction,
                100 * s->mem_over_request_fraction, (long long)s->oom_events, s->oom_per_pod_day,
                (long long)s->scale_events, (long long)s->vertical_changes,
                (long long)s->pod_restarts, s->changes_per_day_p99, s->pod_hours,
                s->cpu_core_hours_requested, s->mem_gib_hours_requested);
    }
    fputs("</table>\n<p class=\"legend\">", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f,
                "<span><svg width=\"20\" height=\"8\"><line x1=\"0\" y1=\"4\" x2=\"20\" "
                "y2=\"4\" stroke=\"%s\" stroke-width=\"3\"/></svg> ",
                palette[i % N_PALETTE]);
        html_text(f, runs[i]->policy);
        fputs("</span>", f);
    }
    fputs("<span><svg width=\"20\" height=\"8\"><line x1=\"0\" y1=\"4\" x2=\"20\" y2=\"4\" "
          "stroke=\"#aaa\" stroke-width=\"3\"/></svg> usage</span></p>\n",
          f);
    for (size_t w = 0; w < info.n_workloads; w++) {
        fputs("<section class=\"workload\"><h2>", f);
        html_text(f, replay_input_workload(in, w));
        fputs("</h2>\n", f);
        for (int k = CHART_CPU; k <= CHART_REPLICAS; k++)
            chart(f, runs, n, w, info.n_steps, info.step_s, (enum chart_kind)k);
        fputs("</section>\n", f);
    }
    fputs("</body></html>\n", f);
    return ferror(f) ? PS_EIO : 0;
}

int replay_write(FILE *f, enum replay_format fmt, const struct replay_input *in,
                 struct replay_result *const *runs, size_t n, unsigned flags)
{
    int rc;
    switch (fmt) {
    case REPLAY_FORMAT_JSON:
        rc = write_json(f, in, runs, n);
        break;
    case REPLAY_FORMAT_CSV:
        rc = write_csv(f, in, runs, n);
        break;
    case REPLAY_FORMAT_HTML:
        rc = write_html(f, in, runs, n);
        break;
    default:
        rc = write_table(f, in, runs, n, flags);
    }
    if (!rc && fflush(f) != 0)
        rc = PS_EIO;
    return rc;
}

/* ---- decisions ---- */

static json_t *resources_json(const struct replay_decision *d, const int64_t *cpu,
                              const int64_t *mem, const int64_t *lcpu, const int64_t *lmem)
{
    json_t *o = json_object();
    for (uint32_t c = 0; c < d->n_containers; c++) {
        json_t *r = json_pack("{s:I, s:I}", "cpu_request_milli", (json_int_t)cpu[c],
                              "memory_request_bytes", (json_int_t)mem[c]);
        if (lcpu && lcpu[c] != POLICY_UNSET)
            json_object_set_new(r, "cpu_limit_milli", json_integer(lcpu[c]));
        if (lmem && lmem[c] != POLICY_UNSET)
            json_object_set_new(r, "memory_limit_bytes", json_integer(lmem[c]));
        json_object_set_new(o, d->containers[c], r);
    }
    return o;
}

int replay_decision_jsonl(void *ctx, const struct replay_decision *d)
{
    FILE *f = ctx;
    json_t *res = json_array();
    json_t *o;
    static const char *const res_names[] = {"cpu", "memory"};
    if (d->kind == PIPELINE_OWNERSHIP) {
        o = json_pack(
            "{s:I, s:s, s:s, s:s, s:{s:s?}, s:{s:s?}}", "time", (json_int_t)d->t_s, "workload",
            d->workload, "policy", d->policy, "kind", "ownership", "before", "bottleneck",
            d->bottleneck_before >= 0 && d->bottleneck_before < 2 ? res_names[d->bottleneck_before]
                                                                  : NULL,
            "after", "bottleneck",
            d->bottleneck_after >= 0 && d->bottleneck_after < 2 ? res_names[d->bottleneck_after]
                                                                : NULL);
    } else if (d->kind == PIPELINE_SCALE) {
        o = json_pack("{s:I, s:s, s:s, s:s, s:{s:i}, s:{s:i}}", "time", (json_int_t)d->t_s,
                      "workload", d->workload, "policy", d->policy, "kind", "scale", "before",
                      "replicas", (int)d->replicas_before, "after", "replicas",
                      (int)d->replicas_after);
    } else {
        if (d->resources_touched & POLICY_RES_BIT(POLICY_RES_CPU))
            json_array_append_new(res, json_string("cpu"));
        if (d->resources_touched & POLICY_RES_BIT(POLICY_RES_MEMORY))
            json_array_append_new(res, json_string("memory"));
        o = json_pack(
            "{s:I, s:s, s:s, s:s, s:o, s:o, s:i}", "time", (json_int_t)d->t_s, "workload",
            d->workload, "policy", d->policy, "kind", "resources", "before",
            resources_json(d, d->cpu_before, d->mem_before, d->cpu_limit_before,
                           d->mem_limit_before),
            "after",
            resources_json(d, d->cpu_after, d->mem_after, d->cpu_limit_after, d->mem_limit_after),
            "pods_restarted", (int)d->pods_restarted);
    }
    if (!o) {
        json_decref(res);
        return PS_ENOMEM;
    }
    if (d->kind == PIPELINE_SCALE)
        json_array_append_new(res, json_string("replicas"));
    json_object_set_new(o, "resources", res);
    if (d->owners) {
        /* Who owned each resource when the decision was taken: what lets anyone
         * check the non-conflict invariant from the decisions alone. */
        static const char *const owner_names[] = {"none", "horizontal", "vertical"};
        json_t *ow = json_object();
        for (int r = 0; r < 2; r++)
            json_object_set_new(ow, res_names[r],
                                json_string(owner_names[d->owners[r] <= 2 ? d->owners[r] : 0]));
        json_object_set_new(o, "owners", ow);
    }
    if (d->kind == PIPELINE_RESOURCES && d->cap_counted >= 0)
        json_object_set_new(o, "daily_cap", json_string(d->cap_counted ? "counted" : "exempt"));
    json_object_set_new(o, "reason", json_string(d->reason ? d->reason : ""));
    int rc = json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (rc || fputc('\n', f) == EOF)
        return PS_EIO;
    return 0;
}
