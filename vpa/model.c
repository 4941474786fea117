/*
 * model.c - container and aggregate state (spec/vpa.md section 3), amounts
 * (model/types.go), and the byte form of checkpoints.
 */
#include <math.h>
#include <string.h>

#include "podscaler/vpa.h"
#include "vpa_internal.h"

#define HOUR_MS (3600LL * 1000)
#define DAY_MS  (24 * HOUR_MS)
/* minSampleWeight (model/aggregations_config.go): every CPU sample weighs 0.1
 * (the request-based weight was removed upstream in Feb 2025, spec 3.3). */
#define MIN_SAMPLE_WEIGHT 0.1

const char *vpa_strerror(int code)
{
    switch (code) {
    case VPA_EORDER:
        return "sample is not after the previous sample of the container";
    case VPA_ESTALE:
        return "OOM event older than the memory aggregation interval";
    case VPA_EOPTIONS:
        return "histograms with different options or half-life";
    case VPA_EBUCKET:
        return "checkpoint bucket index outside the histogram";
    case VPA_EVERSION:
        return "checkpoint version is not v3";
    case VPA_ENOCKPT:
        return "no checkpoint";
    case VPA_EWEIGHT:
        return "checkpoint total weight is negative or not a number";
    case VPA_ECHECKSUM:
        return "checkpoint bytes fail their checksum";
    case VPA_ETRUNCATED:
        return "checkpoint bytes are cut short";
    case VPA_ESCALE:
        return "scale must be greater than zero";
    case VPA_ENOVPA:
        return "no VPA or no pod";
    case VPA_ENOREPLICAS:
        return "controller has no replica count";
    default:
        return ps_strerror(code);
    }
}

/* ---- amounts ------------------------------------------------------------ */

void vpa_res_put(struct vpa_resources *r, int res, int64_t v)
{
    r->v[res] = v;
    r->set |= (1u << res) | VPA_RES_LIST;
}

int64_t vpa_amount_from_float(double amount)
{
    if (isnan(amount) || amount < 0)
        return 0;
    if (amount > (double)VPA_MAX_RESOURCE_AMOUNT)
        return VPA_MAX_RESOURCE_AMOUNT;
    return (int64_t)amount;
}

/* a + b as Go's int64 computes it: wrapping around past the range, which C's
 * signed overflow leaves undefined. */
static int64_t go_add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

int64_t vpa_scale_resource(int64_t amount, double factor)
{
    return vpa_amount_from_float((double)amount * factor);
}

int64_t vpa_cpu_amount_from_cores(double cores)
{
    return vpa_amount_from_float(cores * 1000.0);
}

double vpa_cores_from_cpu_amount(int64_t millicores)
{
    return (double)millicores / 1000.0;
}

int64_t vpa_memory_amount_from_bytes(double bytes)
{
    return vpa_amount_from_float(bytes);
}

int vpa_round_up_to_scale(int64_t value, int64_t scale, int64_t *out)
{
    if (scale <= 0) {
        *out = value;
        return VPA_ESCALE;
    }
    /* Every value is a multiple of 1 (the default scales), without a division. */
    if (scale == 1 || value % scale == 0) {
        *out = value;
        return 0;
    }
    int64_t r;
    if (__builtin_mul_overflow(value / scale + 1, scale, &r))
        return PS_ERANGE;
    *out = r;
    return 0;
}

/* ---- configuration ------------------------------------------------------ */

void vpa_agg_config_default(struct vpa_agg_config *c)
{
    c->mem_interval_ms = DAY_MS;             /* --memory-aggregation-interval */
    c->mem_interval_count = 8;               /* --memory-aggregation-interval-count */
    c->oom_bump_ratio = 1.2;                 /* --oom-bump-up-ratio */
    c->oom_min_bump_bytes = 100.0 * 1048576; /* --oom-min-bump-up-bytes */
}

void vpa_estimator_config_default(struct vpa_estimator_config *c)
{
    /* recommender config.go: --target-*-percentile 0.9, lower bound 0.5, upper 0.95 */
    for (int r = 0; r < 2; r++) {
        c->target_p[r] = 0.9;
        c->lower_p[r] = 0.5;
        c->upper_p[r] = 0.95;
        c->confidence_interval_ms[r] = DAY_MS; /* --confidence-interval-cpu/-memory */
    }
    c->margin_fraction = 0.15; /* --recommendation-margin-fraction */
    /* logic/recommender.go: WithConfidenceMultiplier(1.0, 1.0) upper, (0.001, -2.0) lower */
    c->upper_multiplier = 1.0;
    c->upper_exponent = 1.0;
    c->lower_multiplier = 0.001;
    c->lower_exponent = -2.0;
    c->pod_min_cpu_millicores = 25; /* --pod-recommendation-min-cpu-millicores */
    c->pod_min_memory_mb = 250;     /* --pod-recommendation-min-memory-mb */
}

/* ---- aggregate ---------------------------------------------------------- */

void vpa_aggregate_init(struct vpa_aggregate *a, const struct vpa_hist_opts *cpu,
                        const struct vpa_hist_opts *mem, int64_t cpu_half_life_ms,
                        int64_t mem_half_life_ms, const struct vpa_agg_config *cfg,
                        int64_t creation_ms)
{
    memset(a, 0, sizeof *a);
    vpa_hist_init(&a->cpu, cpu, cpu_half_life_ms);
    vpa_hist_init(&a->mem, mem, mem_half_life_ms);
    a->first_sample_ms = VPA_TIME_ZERO_MS;
    a->last_sample_ms = VPA_TIME_ZERO_MS;
    a->creation_ms = creation_ms;
    a->cfg = cfg;
    a->scaling_mode = VPA_SCALING_AUTO;
    a->controlled = VPA_RES_CPU | VPA_RES_MEM;
}

void vpa_aggregate_fini(struct vpa_aggregate *a)
{
    vpa_hist_fini(&a->cpu);
    vpa_hist_fini(&a->mem);
}

static void count_cpu_sample(struct vpa_aggregate *a, int64_t t_ms)
{
    if (t_ms > a->last_sample_ms)
        a->last_sample_ms = t_ms;
    if (a->first_sample_ms == VPA_TIME_ZERO_MS || t_ms < a->first_sample_ms)
        a->first_sample_ms = t_ms;
    a->total_samples++;
}

int vpa_aggregate_add_cpu(struct vpa_aggregate *a, int64_t usage_millicores, int64_t t_ms)
{
    if (usage_millicores < 0)
        return PS_ENEGATIVE;
    int rc =
        vpa_hist_add(&a->cpu, vpa_cores_from_cpu_amount(usage_millicores), MIN_SAMPLE_WEIGHT, t_ms);
    if (rc)
        return rc;
    count_cpu_sample(a, t_ms);
    return 0;
}

int vpa_aggregate_apply(struct vpa_aggregate *a, const struct vpa_hist_op *ops, int nops)
{
    double adds[2][2];
    int nadd[2] = {0, 0};
    if (nops < 0 || nops > 2)
        return PS_EINVAL;
    for (int i = 0; i < nops; i++) {
        if (ops[i].resource != VPA_CPU && ops[i].resource != VPA_MEMORY)
            return PS_EINVAL;
        if (!isfinite(ops[i].value) || !isfinite(ops[i].weight))
            return PS_ENAN;
        if (ops[i].weight < 0)
            return PS_ENEGATIVE;
        if (!ops[i].subtract)
            adds[ops[i].resource][nadd[ops[i].resource]++] = ops[i].value;
    }
    /* A lone add reserves its own room; with two operations, reserve first so that
     * the second cannot fail after the first has changed the histogram. */
    int rc = 0;
    if (nops > 1) {
        rc = vpa__hist_reserve_values(&a->cpu, adds[VPA_CPU], nadd[VPA_CPU]);
        if (!rc)
            rc = vpa__hist_reserve_values(&a->mem, adds[VPA_MEMORY], nadd[VPA_MEMORY]);
        if (rc)
            return rc;
    }
    for (int i = 0; i < nops; i++) {
        struct vpa_hist *h = ops[i].resource == VPA_CPU ? &a->cpu : &a->mem;
        if (ops[i].subtract) {
            (void)vpa_hist_subtract(h, ops[i].value, ops[i].weight, ops[i].t_ms);
        } else {
            rc = vpa_hist_add(h, ops[i].value, ops[i].weight, ops[i].t_ms);
            if (rc)
                return rc; /* only a lone add can fail here: nothing changed */
            if (ops[i].resource == VPA_CPU)
                count_cpu_sample(a, ops[i].t_ms);
        }
    }
    return 0;
}

int vpa_aggregate_merge(struct vpa_aggregate *a, struct vpa_aggregate *o)
{
    /* Validate both merges before doing either. */
    if (a->cpu.opts != o->cpu.opts || a->cpu.half_life_ms != o->cpu.half_life_ms ||
        a->mem.opts != o->mem.opts || a->mem.half_life_ms != o->mem.half_life_ms)
        return VPA_EOPTIONS;
    int rc = vpa_hist_merge(&a->cpu, &o->cpu);
    if (rc)
        return rc;
    rc = vpa_hist_merge(&a->mem, &o->mem);
    if (rc)
        return rc;
    if (o->first_sample_ms != VPA_TIME_ZERO_MS &&
        (a->first_sample_ms == VPA_TIME_ZERO_MS || o->first_sample_ms < a->first_sample_ms))
        a->first_sample_ms = o->first_sample_ms;
    if (o->last_sample_ms > a->last_sample_ms)
        a->last_sample_ms = o->last_sample_ms;
    a->total_samples += o->total_samples;
    return 0;
}

static int64_t window_length_ms(const struct vpa_aggregate *a)
{
    struct vpa_agg_config d;
    const struct vpa_agg_config *c = a->cfg;
    if (!c) {
        vpa_agg_config_default(&d);
        c = &d;
    }
    return c->mem_interval_ms * c->mem_interval_count;
}

int vpa_aggregate_is_expired(const struct vpa_aggregate *a, int64_t now_ms)
{
    int64_t since = a->total_samples == 0 ? a->creation_ms : a->last_sample_ms;
    return vpa__sub_ns(now_ms, since) >= vpa__sub_ns(window_length_ms(a), 0);
}

int vpa_aggregate_gc_should_delete(const struct vpa_aggregate *a, int64_t now_ms, int contributive)
{
    if (vpa_aggregate_is_expired(a, now_ms))
        return 1;
    return a->total_samples == 0 && !contributive;
}

int vpa_gc_due(int64_t *last_gc_ms, int64_t now_ms, int64_t interval_ms)
{
    if (vpa__sub_ns(now_ms, *last_gc_ms) < vpa__sub_ns(interval_ms, 0))
        return 0;
    *last_gc_ms = now_ms;
    return 1;
}

const struct vpa_container_policy *vpa_policy_for(const struct vpa_resource_policy *p,
                                                  const char *container)
{
    const struct vpa_container_policy *def = NULL;
    if (!p || !p->items)
        return NULL;
    for (size_t i = 0; i < p->n; i++) {
        const char *name = p->items[i].name ? p->items[i].name : "";
        if (strcmp(name, container) == 0)
            return &p->items[i];
        if (name[0] == '*' && name[1] == '\0')
            def = &p->items[i];
    }
    return def;
}

void vpa_aggregate_update_from_policy(struct vpa_aggregate *a,
                                      const struct vpa_container_policy *policy, int per_vpa_config,
                                      const struct vpa_agg_config *defaults,
                                      struct vpa_agg_config *cfg_out)
{
    a->scaling_mode = policy && policy->has_mode ? (uint8_t)policy->mode : VPA_SCALING_AUTO;
    a->controlled = policy && policy->has_controlled_resources
                        ? (uint8_t)(policy->controlled_resources & (VPA_RES_CPU | VPA_RES_MEM))
                        : (uint8_t)(VPA_RES_CPU | VPA_RES_MEM);
    if (!cfg_out)
        return;
    if (defaults)
        *cfg_out = *defaults;
    else
        vpa_agg_config_default(cfg_out);
    if (!per_vpa_config || !policy)
        return;
    const struct vpa_policy_config *p = &policy->per_vpa;
    if (p->has_interval)
        cfg_out->mem_interval_ms = p->mem_interval_ms;
    if (p->has_count)
        cfg_out->mem_interval_count = p->mem_interval_count;
    if (p->has_oom_ratio)
        cfg_out->oom_bump_ratio = p->oom_bump_ratio;
    if (p->has_oom_min)
        cfg_out->oom_min_bump_bytes = p->oom_min_bump_bytes;
}

/* ---- container state ---------------------------------------------------- */

void vpa_container_init(struct vpa_container *c)
{
    c->last_cpu_ms = VPA_TIME_ZERO_MS;
    c->last_mem_ms = VPA_TIME_ZERO_MS;
    c->window_end_ms = VPA_TIME_ZERO_MS;
    c->mem_peak = 0;
    c->oom_peak = 0;
}

int vpa_container_plan_cpu(struct vpa_container *c, int64_t usage_millicores, int64_t t_ms,
                           struct vpa_hist_op ops[2], int *nops)
{
    *nops = 0;
    if (usage_millicores < 0)
        return PS_ENEGATIVE;
    if (t_ms < VPA_TIME_ZERO_MS || t_ms > VPA_TIME_MAX_MS)
        return PS_ETIME;
    if (!(t_ms > c->last_cpu_ms))
        return VPA_EORDER;
    ops[0] = (struct vpa_hist_op){VPA_CPU, 0, vpa_cores_from_cpu_amount(usage_millicores),
                                  MIN_SAMPLE_WEIGHT, t_ms};
    *nops = 1;
    c->last_cpu_ms = t_ms;
    return 0;
}

static const struct vpa_agg_config *cfg_or_default(const struct vpa_agg_config *cfg,
                                                   struct vpa_agg_config *d)
{
    if (cfg)
        return cfg;
    vpa_agg_config_default(d);
    return d;
}

int vpa_container_plan_memory(struct vpa_container *c, const struct vpa_agg_config *cfg,
                              int64_t usage_bytes, int64_t t_ms, int is_oom,
                              struct vpa_hist_op ops[2], int *nops)
{
    struct vpa_agg_config d;
    cfg = cfg_or_default(cfg, &d);
    *nops = 0;
    if (usage_bytes < 0)
        return PS_ENEGATIVE;
    if (t_ms < VPA_TIME_ZERO_MS || t_ms > VPA_TIME_MAX_MS)
        return PS_ETIME;
    if (!is_oom && t_ms < c->last_mem_ms)
        return VPA_EORDER;
    if (cfg->mem_interval_ms <= 0 || cfg->mem_interval_ms > VPA_TIME_MAX_MS)
        return PS_EINVAL;
    c->last_mem_ms = t_ms;
    if (c->window_end_ms == VPA_TIME_ZERO_MS)
        c->window_end_ms = t_ms; /* the first sample opens the first window */
    int add = 0;
    if (t_ms < c->window_end_ms) {
        int64_t old = c->mem_peak > c->oom_peak ? c->mem_peak : c->oom_peak;
        if (old != 0 && usage_bytes > old) {
            ops[(*nops)++] =
                (struct vpa_hist_op){VPA_MEMORY, 1, (double)old, 1.0, c->window_end_ms};
            add = 1;
        }
    } else {
        /* Duration.Truncate: the windows skipped without samples stay empty. */
        int64_t d_ms = t_ms - c->window_end_ms;
        int64_t shift = d_ms - d_ms % cfg->mem_interval_ms + cfg->mem_interval_ms;
        c->window_end_ms += shift;
        c->mem_peak = 0;
        c->oom_peak = 0;
        add = 1;
    }
    if (add) {
        ops[(*nops)++] =
            (struct vpa_hist_op){VPA_MEMORY, 0, (double)usage_bytes, 1.0, c->window_end_ms};
        if (is_oom)
            c->oom_peak = usage_bytes;
        else
            c->mem_peak = usage_bytes;
    }
    return 0;
}

int vpa_container_plan_oom(struct vpa_container *c, const struct vpa_agg_config *cfg,
                           int64_t requested_memory_bytes, int64_t t_ms, struct vpa_hist_op ops[2],
                           int *nops)
{
    struct vpa_agg_config d;
    cfg = cfg_or_default(cfg, &d);
    *nops = 0;
    if (requested_memory_bytes < 0)
        return PS_ENEGATIVE;
    if (t_ms < VPA_TIME_ZERO_MS || t_ms > VPA_TIME_MAX_MS)
        return PS_ETIME;
    if (cfg->mem_interval_ms <= 0 || cfg->mem_interval_ms > VPA_TIME_MAX_MS)
        return PS_EINVAL;
    if (!isfinite(cfg->oom_bump_ratio) || !isfinite(cfg->oom_min_bump_bytes))
        return PS_ENAN;
    /* Staleness from the last memory sample, not WindowEnd (upstream #8548). */
    if (c->last_mem_ms != VPA_TIME_ZERO_MS && t_ms < c->last_mem_ms - cfg->mem_interval_ms)
        return VPA_ESTALE;
    /* The previous OOM peak is left out so that repeated OOMs do not compound. */
    int64_t used = requested_memory_bytes > c->mem_peak ? requested_memory_bytes : c->mem_peak;
    /* A peak near the int64 range (usage re-expressed for a larger group) wraps
     * `a` negative, as in Go, and the scaled bump, capped at the largest
     * amount, is taken. */
    int64_t a = go_add(used, vpa_memory_amount_from_bytes(cfg->oom_min_bump_bytes));
    int64_t b = vpa_scale_resource(used, cfg->oom_bump_ratio);
    return vpa_container_plan_memory(c, cfg, a > b ? a : b, t_ms, 1, ops, nops);
}

/* vpa_container_plan_cpu and vpa_aggregate_apply of its one add, without the
 * operation list (this runs once per replica and sample): the same checks in the
 * same order and the same histogram call, and the container changes only when
 * the add succeeded. The add's own checks (finite value, weight >= 0) hold for any
 * millicore count. */
int vpa_container_add_cpu(struct vpa_container *c, struct vpa_aggregate *a,
                          int64_t usage_millicores, int64_t t_ms)
{
    if (usage_millicores < 0)
        return PS_ENEGATIVE;
    if (t_ms < VPA_TIME_ZERO_MS || t_ms > VPA_TIME_MAX_MS)
        return PS_ETIME;
    if (!(t_ms > c->last_cpu_ms))
        return VPA_EORDER;
    int rc =
        vpa_hist_add(&a->cpu, vpa_cores_from_cpu_amount(usage_millicores), MIN_SAMPLE_WEIGHT, t_ms);
    if (rc)
        return rc;
    count_cpu_sample(a, t_ms);
    c->last_cpu_ms = t_ms;
    return 0;
}

int vpa_containers_add_cpu(struct vpa_container *c, size_t stride, size_t n,
                           struct vpa_aggregate *a, int64_t usage_millicores, int64_t t_ms,
                           size_t *taken)
{
    *taken = 0;
    if (usage_millicores < 0)
        return PS_ENEGATIVE;
    if (t_ms < VPA_TIME_ZERO_MS || t_ms > VPA_TIME_MAX_MS)
        return PS_ETIME;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += t_ms > c[i * stride].last_cpu_ms;
    int rc = vpa_hist_add_n(&a->cpu, vpa_cores_from_cpu_amount(usage_millicores), MIN_SAMPLE_WEIGHT,
                            t_ms, k);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct vpa_container *x = &c[i * stride];
        if (t_ms > x->last_cpu_ms) {
            count_cpu_sample(a, t_ms);
            x->last_cpu_ms = t_ms;
        }
    }
    *taken = k;
    return 0;
}

/* Plans on the container, applies, and puts the container back as it was when
 * either step fails: an error leaves both untouched. (Planning on a copy and
 * copying it back read the copy whole right after the plan's field stores, a
 * store-forwarding stall that was a tenth of hpa+vpa-naive's replay, which feeds
 * memory pod by pod.) */
int vpa_container_add_memory(struct vpa_container *c, struct vpa_aggregate *a, int64_t usage_bytes,
                             int64_t t_ms)
{
    const struct vpa_container before = *c;
    struct vpa_hist_op ops[2];
    int n, rc = vpa_container_plan_memory(c, a->cfg, usage_bytes, t_ms, 0, ops, &n);
    if (!rc && n > 0)
        rc = vpa_aggregate_apply(a, ops, n);
    if (rc)
        *c = before;
    return rc;
}

int vpa_container_record_oom(struct vpa_container *c, struct vpa_aggregate *a,
                             int64_t requested_memory_bytes, int64_t t_ms)
{
    const struct vpa_container before = *c;
    struct vpa_hist_op ops[2];
    int n, rc = vpa_container_plan_oom(c, a->cfg, requested_memory_bytes, t_ms, ops, &n);
    if (!rc && n > 0)
        rc = vpa_aggregate_apply(a, ops, n);
    if (rc)
        *c = before;
    return rc;
}

int vpa_container_drop_current_peak(const struct vpa_container *c, struct vpa_aggregate *a,
                                    int64_t now_ms)
{
    if (!(now_ms < c->window_end_ms))
        return 0;
    int64_t peak = c->mem_peak > c->oom_peak ? c->mem_peak : c->oom_peak;
    return vpa_hist_subtract(&a->mem, (double)peak, 1.0, c->window_end_ms);
}

/* ---- aggregate checkpoints --------------------------------------------- */

int vpa_aggregate_save(const struct vpa_aggregate *a, int64_t now_ms, struct vpa_agg_checkpoint *cp)
{
    memset(cp->version, 0, sizeof cp->version);
    memcpy(cp->version, VPA_CHECKPOINT_VERSION, sizeof VPA_CHECKPOINT_VERSION);
    cp->last_update_ms = now_ms;
    cp->first_sample_ms = a->first_sample_ms;
    cp->last_sample_ms = a->last_sample_ms;
    cp->total_samples = a->total_samples;
    int rc = vpa_hist_save(&a->mem, &cp->mem);
    if (!rc)
        rc = vpa_hist_save(&a->cpu, &cp->cpu);
    return rc;
}

int vpa_aggregate_load(struct vpa_aggregate *a, const struct vpa_agg_checkpoint *cp)
{
    if (!cp)
        return VPA_ENOCKPT;
    if (strncmp(cp->version, VPA_CHECKPOINT_VERSION, sizeof cp->version) != 0)
        return VPA_EVERSION;
    if (cp->total_samples < 0)
        return PS_ECORRUPT;
    int rc = vpa__hist_load_prepare(&a->mem, &cp->mem);
    if (!rc)
        rc = vpa__hist_load_prepare(&a->cpu, &cp->cpu);
    if (rc)
        return rc;
    a->total_samples = cp->total_samples;
    a->first_sample_ms = cp->first_sample_ms;
    a->last_sample_ms = cp->last_sample_ms;
    vpa__hist_load_commit(&a->mem, &cp->mem);
    vpa__hist_load_commit(&a->cpu, &cp->cpu);
    return 0;
}

/* Byte form: "PSVC", format byte, version string (u8 length + bytes), four i64,
 * two histograms (i64 ref, f64 total, u32 n, n x (i32 bucket, u32 weight)), and the
 * CRC-32 (IEEE) of everything before it. All little-endian. */
#define CKPT_FORMAT 1

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

struct wbuf {
    uint8_t *p;
    size_t len, cap;
};

static void put_u64(struct wbuf *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        if (b->len < b->cap)
            b->p[b->len] = (uint8_t)(v >> (8 * i));
        b->len++;
    }
}

static void put_hist(struct wbuf *b, const struct vpa_hist_checkpoint *h)
{
    uint64_t bits;
    put_u64(b, (uint64_t)h->ref_ms, 8);
    memcpy(&bits, &h->total_weight, 8);
    put_u64(b, bits, 8);
    put_u64(b, h->n, 4);
    for (uint32_t i = 0; i < h->n && i < VPA_HIST_MAX_BUCKETS; i++) {
        put_u64(b, (uint32_t)h->b[i].bucket, 4);
        put_u64(b, h->b[i].weight, 4);
    }
}

int vpa_agg_checkpoint_encode(const struct vpa_agg_checkpoint *cp, uint8_t *buf, size_t cap)
{
    if (cp->cpu.n > VPA_HIST_MAX_BUCKETS || cp->mem.n > VPA_HIST_MAX_BUCKETS)
        return PS_EINVAL;
    struct wbuf b = {buf, 0, cap};
    size_t vlen = strnlen(cp->version, sizeof cp->version);
    put_u64(&b, 0x43565350u, 4); /* "PSVC" */
    put_u64(&b, CKPT_FORMAT, 1);
    put_u64(&b, vlen, 1);
    for (size_t i = 0; i < vlen; i++)
        put_u64(&b, (uint8_t)cp->version[i], 1);
    put_u64(&b, (uint64_t)cp->last_update_ms, 8);
    put_u64(&b, (uint64_t)cp->first_sample_ms, 8);
    put_u64(&b, (uint64_t)cp->last_sample_ms, 8);
    put_u64(&b, (uint64_t)cp->total_samples, 8);
    put_hist(&b, &cp->cpu);
    put_hist(&b, &cp->mem);
    if (b.len + 4 > cap || b.len + 4 > (size_t)INT32_MAX)
        return PS_ENOSPC;
    put_u64(&b, crc32_ieee(buf, b.len), 4);
    return (int)b.len;
}

struct rbuf {
    const uint8_t *p;
    size_t len, off;
    int short_read;
};

static uint64_t get_u64(struct rbuf *b, int bytes)
{
    uint64_t v = 0;
    if (b->off + (size_t)bytes > b->len) {
        b->short_read = 1;
        return 0;
    }
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)b->p[b->off + (size_t)i] << (8 * i);
    b->off += (size_t)bytes;
    return v;
}

static int get_hist(struct rbuf *b, struct vpa_hist_checkpoint *h)
{
    uint64_t bits;
    h->ref_ms = (int64_t)get_u64(b, 8);
    bits = get_u64(b, 8);
    memcpy(&h->total_weight, &bits, 8);
    uint64_t n = get_u64(b, 4);
    if (b->short_read)
        return VPA_ETRUNCATED;
    if (n > VPA_HIST_MAX_BUCKETS)
        return PS_ECORRUPT;
    h->n = (uint32_t)n;
    for (uint32_t i = 0; i < h->n; i++) {
        h->b[i].bucket = (int32_t)(uint32_t)get_u64(b, 4);
        h->b[i].weight = (uint32_t)get_u64(b, 4);
        if (h->b[i].bucket < 0 || h->b[i].bucket >= VPA_HIST_MAX_BUCKETS)
            return PS_ECORRUPT;
        for (uint32_t j = 0; j < i; j++)
            if (h->b[j].bucket == h->b[i].bucket)
                return PS_ECORRUPT;
    }
    return b->short_read ? VPA_ETRUNCATED : 0;
}

int vpa_agg_checkpoint_decode(const uint8_t *buf, size_t len, struct vpa_agg_checkpoint *out)
{
    struct vpa_agg_checkpoint cp;
    struct rbuf b = {buf, len, 0, 0};
    if (len < 10)
        return VPA_ETRUNCATED;
    if (get_u64(&b, 4) != 0x43565350u)
        return PS_ECORRUPT;
    if (get_u64(&b, 1) != CKPT_FORMAT)
        return PS_EVERSION;
    uint32_t stored = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 |
                      (uint32_t)buf[len - 2] << 16 | (uint32_t)buf[len - 1] << 24;
    if (crc32_ieee(buf, len - 4) != stored)
        return VPA_ECHECKSUM;
    b.len = len - 4;
    memset(&cp, 0, sizeof cp);
    uint64_t vlen = get_u64(&b, 1);
    if (vlen >= sizeof cp.version)
        return PS_ECORRUPT;
    for (uint64_t i = 0; i < vlen; i++)
        cp.version[i] = (char)get_u64(&b, 1);
    cp.last_update_ms = (int64_t)get_u64(&b, 8);
    cp.first_sample_ms = (int64_t)get_u64(&b, 8);
    cp.last_sample_ms = (int64_t)get_u64(&b, 8);
    cp.total_samples = (int64_t)get_u64(&b, 8);
    if (b.short_read)
        return VPA_ETRUNCATED;
    int rc = get_hist(&b, &cp.cpu);
    if (!rc)
        rc = get_hist(&b, &cp.mem);
    if (rc)
        return rc;
    if (b.off != b.len)
        return PS_ECORRUPT;
    *out = cp;
    return 0;
}
