/*
 * vpa.h - the vertical core: the Kubernetes VPA recommender, pure and exact.
 *
 * Reproduces kubernetes/autoscaler vertical-pod-autoscaler (spec/vpa.md, upstream
 * commit 55c37cd5) when configured like it: histograms (section 2), container and
 * aggregate state (section 3), estimators and the recommendation (section 4),
 * recommender-side capping (4.7), checkpoints (2.5, 7). Capping at apply time and
 * the updater are in vpa_update.h.
 *
 * Conventions:
 * - Time is an argument: int64 milliseconds since the Unix epoch (`*_ms`). Go's zero
 *   time, 0001-01-01T00:00:00Z, is VPA_TIME_ZERO_MS and means "never".
 * - CPU amounts are int64 millicores, memory amounts int64 bytes; histogram values
 *   are cores and bytes as floats, as upstream.
 * - No I/O, no clock, no globals. All state is caller-owned plain structs. The only
 *   memory the core ever needs is the sparse bucket store of a histogram; it grows
 *   through the vpa_allocator the caller puts in the histogram options (never on
 *   the percentile path). A failed allocation returns PS_ENOMEM and leaves the
 *   state as it was.
 * - Every fallible function returns 0 or a negative PS_E* / VPA_E* code, and on
 *   error leaves its outputs and the state it was given untouched.
 *
 * Ownership: strings (container names) are borrowed; the core never copies or
 * frees them and results point at the caller's strings.
 */
#ifndef PODSCALER_VPA_H
#define PODSCALER_VPA_H

#include <stddef.h>
#include <stdint.h>

#include "podscaler/error.h"

/* Module error codes (PS_ERANGE_VPA_FIRST range, counting down). */
enum {
    VPA_EORDER = PS_ERANGE_VPA_FIRST,          /* sample not after the previous one */
    VPA_ESTALE = PS_ERANGE_VPA_FIRST - 1,      /* OOM event older than the window */
    VPA_EOPTIONS = PS_ERANGE_VPA_FIRST - 2,    /* histograms with other options/half-life */
    VPA_EBUCKET = PS_ERANGE_VPA_FIRST - 3,     /* checkpoint bucket index out of range */
    VPA_EVERSION = PS_ERANGE_VPA_FIRST - 4,    /* checkpoint of another version than v3 */
    VPA_ENOCKPT = PS_ERANGE_VPA_FIRST - 5,     /* no checkpoint (upstream's nil pointer) */
    VPA_EWEIGHT = PS_ERANGE_VPA_FIRST - 6,     /* checkpoint total weight negative/NaN */
    VPA_ECHECKSUM = PS_ERANGE_VPA_FIRST - 7,   /* checkpoint bytes fail their checksum */
    VPA_ETRUNCATED = PS_ERANGE_VPA_FIRST - 8,  /* checkpoint bytes cut short */
    VPA_ESCALE = PS_ERANGE_VPA_FIRST - 9,      /* RoundUpToScale with a scale <= 0 */
    VPA_ENOVPA = PS_ERANGE_VPA_FIRST - 10,     /* capping without a VPA or a pod */
    VPA_ENOREPLICAS = PS_ERANGE_VPA_FIRST - 11 /* a controller without a replica count */
};

const char *vpa_strerror(int code);

/* Go's zero time.Time as Unix milliseconds: 0001-01-01T00:00:00Z. Times passed to
 * the core must lie in [VPA_TIME_ZERO_MS, VPA_TIME_MAX_MS] (9999-12-31T23:59:59.999Z),
 * else PS_ETIME: all time arithmetic then stays far from int64 overflow. */
#define VPA_TIME_ZERO_MS (-62135596800000LL)
#define VPA_TIME_MAX_MS  (253402300799999LL)

/* MaxResourceAmount (model/types.go): amounts are clamped to [0, 1e14]. */
#define VPA_MAX_RESOURCE_AMOUNT 100000000000000LL

/* The largest bucket count a histogram may have here (upstream uses 176). */
#define VPA_HIST_MAX_BUCKETS 512
/* Grid cells of the bucket search of exponential options: 16 per octave, 64
 * octaves (the defaults use 13). */
#define VPA_HIST_CELLS 1024

/* ---- resources ---------------------------------------------------------- */

enum vpa_resource { VPA_CPU = 0, VPA_MEMORY = 1 };

/* Bits of vpa_resources.set. VPA_RES_LIST marks a present (non-nil) list, so an
 * empty list {} and a nil list stay distinguishable as they are in Go. */
#define VPA_RES_CPU  0x1u
#define VPA_RES_MEM  0x2u
#define VPA_RES_LIST 0x4u

/* A ResourceList restricted to cpu (millicores) and memory (bytes). */
struct vpa_resources {
    int64_t v[2]; /* indexed by enum vpa_resource */
    unsigned set; /* VPA_RES_* bits */
};

static inline int vpa_res_has(const struct vpa_resources *r, int res)
{
    return (r->set & (1u << res)) != 0;
}
void vpa_res_put(struct vpa_resources *r, int res, int64_t v);

/* ---- numeric helpers (model/types.go) ------------------------------------ */

/* Truncates a float amount to [0, MaxResourceAmount]; NaN becomes 0 (Go leaves it
 * platform-defined, spec/vpa.md 4.3). */
int64_t vpa_amount_from_float(double amount);
int64_t vpa_scale_resource(int64_t amount, double factor);
int64_t vpa_cpu_amount_from_cores(double cores);
double vpa_cores_from_cpu_amount(int64_t millicores);
int64_t vpa_memory_amount_from_bytes(double bytes);
/* Smallest multiple of scale >= value; VPA_ESCALE (value unchanged) when scale <= 0. */
int vpa_round_up_to_scale(int64_t value, int64_t scale, int64_t *out);

/* ---- histograms (util/histogram*.go) ------------------------------------ */

/* How a histogram's bucket store grows. realloc(ctx, ptr, old_size, new_size)
 * behaves like realloc; new_size 0 frees and returns NULL. The caller may back it
 * with malloc, a pool or an arena. */
struct vpa_allocator {
    void *(*realloc)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void *ctx;
};

enum vpa_hist_kind { VPA_HIST_LINEAR = 0, VPA_HIST_EXPONENTIAL = 1 };

/* HistogramOptions, plus the allocator of the stores of the histograms using them.
 * Histograms keep a pointer to their options: the options must outlive them, and
 * Merge/Equals require the very same options object (as upstream compares
 * HistogramOptions by identity). */
struct vpa_hist_opts {
    int kind;
    int num_buckets;
    double epsilon;
    double bucket_size;       /* linear */
    double first_bucket_size; /* exponential */
    double ratio;             /* exponential */
    const struct vpa_allocator *alloc;
    /* Derived by vpa_hist_opts_linear/_exponential so that the sample and
     * percentile paths look values up instead of calling log and pow: log(ratio),
     * and the start of every bucket, each computed once with the very expression
     * vpa_hist_opts_find_bucket and vpa_hist_opts_bucket_start evaluate (the same
     * doubles). Valid while tables_of points at this struct: a copy, or a struct
     * filled by hand, evaluates the formulas on each call instead. Change the
     * fields above only through the constructors. */
    const struct vpa_hist_opts *tables_of;
    double log_ratio;
    double bucket_start[VPA_HIST_MAX_BUCKETS];
    /* Exponential: find_bucket's bucket boundaries r^k widened by a guard band
     * (lo[k] above, hi[k] below), and per grid cell of the log's argument (16 per
     * octave from 1) the bucket its lower edge is in. Arguments that fall in a
     * guard band or outside the grid take the formula (hist.c, find_fast). */
    double bucket_lo[VPA_HIST_MAX_BUCKETS], bucket_hi[VPA_HIST_MAX_BUCKETS];
    uint16_t cell_bucket[VPA_HIST_CELLS];
};

/* PS_EINVAL on a non-positive max/size/epsilon or ratio <= 1; PS_ERANGE when the
 * bucket count exceeds VPA_HIST_MAX_BUCKETS. */
int vpa_hist_opts_linear(struct vpa_hist_opts *o, double max_value, double bucket_size,
                         double epsilon, const struct vpa_allocator *alloc);
int vpa_hist_opts_exponential(struct vpa_hist_opts *o, double max_value, double first_bucket_size,
                              double ratio, double epsilon, const struct vpa_allocator *alloc);
/* Upstream's production options (model/aggregations_config.go): CPU 10m..1000 cores,
 * memory 10 MB..1 TB, both 5% growth and epsilon 1e-4: 176 buckets each. */
void vpa_hist_opts_cpu_default(struct vpa_hist_opts *o, const struct vpa_allocator *alloc);
void vpa_hist_opts_memory_default(struct vpa_hist_opts *o, const struct vpa_allocator *alloc);
int vpa_hist_opts_find_bucket(const struct vpa_hist_opts *o, double value);
double vpa_hist_opts_bucket_start(const struct vpa_hist_opts *o, int bucket);

/*
 * A histogram, plain (half_life_ms == 0) or decaying. Only non-zero buckets are
 * stored, sorted by index, in one block of `cap` doubles followed by `cap` uint16
 * indices. Every operation performs exactly the float operations of upstream's dense
 * array in the same order, so results are bit-identical to it (tests/vpa proves it
 * against vpa_dense_hist). 144 bytes plus 10 bytes per non-empty bucket.
 */
struct vpa_hist {
    const struct vpa_hist_opts *opts;
    double total;
    int64_t half_life_ms; /* 0: plain histogram */
    int64_t ref_ms;       /* decaying: referenceTimestamp, VPA_TIME_ZERO_MS at first */
    double *w;            /* store; NULL while cap == 0 */
    uint16_t n, cap;
    uint16_t min, max; /* minBucket, maxBucket */
    /* Caches of hist.c (replicas of one pod add the same value at the same time,
     * one after the other): the last added value and its bucket, the bucket's
     * position in the store (a hint, checked on use), and the last decay factor
     * with its distance to ref_ms. Set by vpa_hist_init. */
    double memo_value, memo_factor;
    int64_t memo_d_ns;
    uint16_t memo_bucket, memo_pos;
    /* Bumped by every change of the buckets or the total: what
     * vpa_hist_percentiles_memo keys its last answer on. */
    uint64_t version;
    struct {
        uint64_t version; /* of the histogram when answered; 0: none */
        double p[3], out[3];
    } pct_memo;
};

void vpa_hist_init(struct vpa_hist *h, const struct vpa_hist_opts *o, int64_t half_life_ms);
/* Frees the store through the options' allocator; the histogram is then empty. */
void vpa_hist_fini(struct vpa_hist *h);
/* Empties the histogram, keeping its store. */
void vpa_hist_clear(struct vpa_hist *h);
/* Makes dst an exact copy of src (same options). */
int vpa_hist_copy(struct vpa_hist *dst, const struct vpa_hist *src);

/* AddSample / SubtractSample. t_ms is ignored by plain histograms. PS_ENAN for a
 * NaN or infinite value or weight, PS_ENEGATIVE for a negative weight, PS_ETIME for
 * a time out of range (decaying histograms). */
int vpa_hist_add(struct vpa_hist *h, double value, double weight, int64_t t_ms);
/* vpa_hist_add n times over, with the same bits: one bucket search and decay
 * factor, then n additions in a row. Order between buckets never changes a sum,
 * and equal weights make every addition to a bucket and the total the same. */
int vpa_hist_add_n(struct vpa_hist *h, double value, double weight, int64_t t_ms, size_t n);
int vpa_hist_subtract(struct vpa_hist *h, double value, double weight, int64_t t_ms);
/* h += other. Decaying histograms first align the older reference to the younger,
 * which rescales `other` itself when it is the older one, as upstream does.
 * VPA_EOPTIONS when options, kind or half-life differ. */
int vpa_hist_merge(struct vpa_hist *h, struct vpa_hist *other);
double vpa_hist_percentile(const struct vpa_hist *h, double p);
/* vpa_hist_percentile of each p[i] into out[i], i < n, in one walk of the buckets:
 * the same results as n separate calls. */
void vpa_hist_percentiles(const struct vpa_hist *h, const double *p, int n, double *out);
/* vpa_hist_percentiles, answering again from the last call when neither the
 * histogram nor p changed since: a memory histogram changes only when a peak
 * rises or a window opens, while the recommender asks every interval. Only
 * n == 3 (a recommendation's three percentiles) is remembered. */
void vpa_hist_percentiles_memo(struct vpa_hist *h, const double *p, int n, double *out);
int vpa_hist_is_empty(const struct vpa_hist *h);
int vpa_hist_equals(const struct vpa_hist *a, const struct vpa_hist *b);
/* Weight of one bucket (0 when not stored). */
double vpa_hist_bucket_weight(const struct vpa_hist *h, int bucket);
/* Bytes of the bucket store. */
size_t vpa_hist_store_bytes(const struct vpa_hist *h);

/* HistogramCheckpoint: referenceTimestamp, bucketWeights, totalWeight. */
struct vpa_ckpt_bucket {
    int32_t bucket;
    uint32_t weight;
};
struct vpa_hist_checkpoint {
    int64_t ref_ms; /* VPA_TIME_ZERO_MS for plain histograms */
    double total_weight;
    uint32_t n;
    struct vpa_ckpt_bucket b[VPA_HIST_MAX_BUCKETS];
};
int vpa_hist_save(const struct vpa_hist *h, struct vpa_hist_checkpoint *cp);
/* Additive load (upstream LoadFromCheckpoint). cp NULL: VPA_ENOCKPT; negative or NaN
 * total: VPA_EWEIGHT; a bucket outside [0, n): VPA_EBUCKET; a bucket listed twice:
 * PS_ECORRUPT; a reference time out of range: PS_ETIME. The histogram is untouched
 * on error. */
int vpa_hist_load(struct vpa_hist *h, const struct vpa_hist_checkpoint *cp);

/* The dense reference form (upstream's layout), for verification and benchmarks. */
struct vpa_dense_hist {
    const struct vpa_hist_opts *opts;
    double total;
    int64_t half_life_ms, ref_ms;
    int min, max;
    double w[VPA_HIST_MAX_BUCKETS];
};
void vpa_dense_init(struct vpa_dense_hist *h, const struct vpa_hist_opts *o, int64_t half_life_ms);
void vpa_dense_add(struct vpa_dense_hist *h, double value, double weight, int64_t t_ms);
void vpa_dense_subtract(struct vpa_dense_hist *h, double value, double weight, int64_t t_ms);
void vpa_dense_merge(struct vpa_dense_hist *h, struct vpa_dense_hist *other);
double vpa_dense_percentile(const struct vpa_dense_hist *h, double p);
/* The bytes upstream's layout needs per histogram: the dense array plus metadata. */
size_t vpa_dense_bytes(const struct vpa_hist_opts *o);

/* ---- configuration -------------------------------------------------------- */

/* Per-aggregate parameters (aggregations_config.go; per-VPA with PerVPAConfig). */
struct vpa_agg_config {
    int64_t mem_interval_ms;    /* --memory-aggregation-interval, 24h */
    int32_t mem_interval_count; /* --memory-aggregation-interval-count, 8 */
    double oom_bump_ratio;      /* --oom-bump-up-ratio, 1.2 */
    double oom_min_bump_bytes;  /* --oom-min-bump-up-bytes, 100 MiB */
};
void vpa_agg_config_default(struct vpa_agg_config *c);

/* Estimator flags (recommender config.go), see vpa_estimator_config_default(). */
struct vpa_estimator_config {
    double target_p[2], lower_p[2], upper_p[2]; /* per resource */
    double margin_fraction;                     /* 0.15 */
    int64_t confidence_interval_ms[2];          /* 24h, 24h */
    double upper_multiplier, upper_exponent;    /* 1.0, 1.0 */
    double lower_multiplier, lower_exponent;    /* 0.001, -2.0 */
    double pod_min_cpu_millicores;              /* 25 */
    double pod_min_memory_mb;                   /* 250 (MiB) */
};
void vpa_estimator_config_default(struct vpa_estimator_config *c);

/* ---- container and aggregate state (model/) ------------------------------ */

enum vpa_scaling_mode { VPA_SCALING_AUTO = 0, VPA_SCALING_OFF = 1 };

/* AggregateContainerState. Samples are added by vpa_container_* (memory peaks)
 * or vpa_aggregate_add_cpu. cfg is borrowed and must outlive the aggregate. */
struct vpa_aggregate {
    struct vpa_hist cpu, mem;
    int64_t first_sample_ms, last_sample_ms, creation_ms;
    int64_t total_samples;
    const struct vpa_agg_config *cfg;
    uint8_t scaling_mode; /* enum vpa_scaling_mode */
    uint8_t controlled;   /* VPA_RES_CPU | VPA_RES_MEM */
};

/* cpu and mem options are borrowed; half-lives 24h upstream. */
void vpa_aggregate_init(struct vpa_aggregate *a, const struct vpa_hist_opts *cpu,
                        const struct vpa_hist_opts *mem, int64_t cpu_half_life_ms,
                        int64_t mem_half_life_ms, const struct vpa_agg_config *cfg,
                        int64_t creation_ms);
void vpa_aggregate_fini(struct vpa_aggregate *a);
/* A CPU sample (millicores) at t_ms with upstream's constant weight 0.1. The
 * container-level ordering rule is vpa_container_add_cpu's. */
int vpa_aggregate_add_cpu(struct vpa_aggregate *a, int64_t usage_millicores, int64_t t_ms);
/* a += other (MergeContainerState); other's histograms may be renormalised. */
int vpa_aggregate_merge(struct vpa_aggregate *a, struct vpa_aggregate *other);
/* isExpired: window = interval x count, compared with >=. */
int vpa_aggregate_is_expired(const struct vpa_aggregate *a, int64_t now_ms);

/* The per-VPA parameters of a container policy (PerVPAConfig gate). */
struct vpa_policy_config {
    int has_interval, has_count, has_oom_ratio, has_oom_min;
    int64_t mem_interval_ms;
    int32_t mem_interval_count;
    double oom_bump_ratio, oom_min_bump_bytes;
};

enum vpa_controlled_values { VPA_CV_REQUESTS_AND_LIMITS = 0, VPA_CV_REQUESTS_ONLY = 1 };

/* ContainerResourcePolicy. name "*" is the default for containers not named. */
struct vpa_container_policy {
    const char *name;
    int has_mode, mode; /* enum vpa_scaling_mode */
    struct vpa_resources min_allowed, max_allowed;
    int has_controlled_values, controlled_values; /* enum vpa_controlled_values */
    int has_controlled_resources;
    unsigned controlled_resources; /* VPA_RES_CPU | VPA_RES_MEM */
    struct vpa_policy_config per_vpa;
};
/* PodResourcePolicy; items NULL and n 0 is "no policy". */
struct vpa_resource_policy {
    const struct vpa_container_policy *items;
    size_t n;
};
/* GetContainerResourcePolicy: the entry naming the container, else "*", else NULL. */
const struct vpa_container_policy *vpa_policy_for(const struct vpa_resource_policy *p,
                                                  const char *container);

/* UpdateFromPolicy: scaling mode, controlled resources, and (only when
 * per_vpa_config, the PerVPAConfig gate, is on) the per-VPA parameters written to
 * *cfg_out, which starts from defaults. policy may be NULL. */
void vpa_aggregate_update_from_policy(struct vpa_aggregate *a,
                                      const struct vpa_container_policy *policy, int per_vpa_config,
                                      const struct vpa_agg_config *defaults,
                                      struct vpa_agg_config *cfg_out);

/* AggregateContainerState checkpoint (VerticalPodAutoscalerCheckpointStatus). */
#define VPA_CHECKPOINT_VERSION "v3"
struct vpa_agg_checkpoint {
    char version[16];
    int64_t last_update_ms, first_sample_ms, last_sample_ms;
    int64_t total_samples;
    struct vpa_hist_checkpoint cpu, mem;
};
int vpa_aggregate_save(const struct vpa_aggregate *a, int64_t now_ms,
                       struct vpa_agg_checkpoint *cp);
/* VPA_EVERSION unless version is "v3"; the histogram errors of vpa_hist_load. The
 * aggregate is untouched on error. */
int vpa_aggregate_load(struct vpa_aggregate *a, const struct vpa_agg_checkpoint *cp);

/* Byte form of a checkpoint: little-endian, magic "PSVC", format 1, CRC-32 at the
 * end. Returns the length written, or PS_ENOSPC. vpa_agg_checkpoint_decode returns
 * VPA_ETRUNCATED, VPA_ECHECKSUM, PS_ECORRUPT (bad magic, bucket count, duplicate or
 * negative bucket) or PS_EVERSION (other format). */
#define VPA_CKPT_BYTES_MAX (96 + 2 * (24 + 8 * VPA_HIST_MAX_BUCKETS))
int vpa_agg_checkpoint_encode(const struct vpa_agg_checkpoint *cp, uint8_t *buf, size_t cap);
int vpa_agg_checkpoint_decode(const uint8_t *buf, size_t len, struct vpa_agg_checkpoint *cp);

/* ContainerState: the per-container memory window and sample order. 40 bytes. The
 * aggregate it feeds is passed on each call. */
struct vpa_container {
    int64_t last_cpu_ms;   /* LastCPUSampleStart */
    int64_t last_mem_ms;   /* lastMemorySampleStart */
    int64_t window_end_ms; /* WindowEnd */
    int64_t mem_peak, oom_peak;
};
void vpa_container_init(struct vpa_container *c);

/* One histogram operation the container asks of its aggregate. */
struct vpa_hist_op {
    int resource; /* enum vpa_resource */
    int subtract; /* 0 add, 1 subtract */
    double value; /* cores or bytes */
    double weight;
    int64_t t_ms;
};

/* AddSample for CPU (millicores) and memory (bytes) usage. VPA_EORDER when the
 * sample is not after the previous one (CPU: strictly after; memory: not before),
 * PS_ENEGATIVE for negative usage, PS_ETIME for a time out of range; nothing changes
 * then. */
int vpa_container_add_cpu(struct vpa_container *c, struct vpa_aggregate *a,
                          int64_t usage_millicores, int64_t t_ms);
int vpa_container_add_memory(struct vpa_container *c, struct vpa_aggregate *a, int64_t usage_bytes,
                             int64_t t_ms);
/* vpa_container_add_cpu of one sample to n containers, c[0], c[stride], ...
 * (pods of one template that measured the same usage), in one histogram update:
 * the aggregate ends as after the n calls in any order. Containers whose last
 * sample is not older are left out, as VPA_EORDER leaves them; *taken counts
 * the others. Errors other than ordering are those of vpa_container_add_cpu,
 * and change nothing. */
int vpa_containers_add_cpu(struct vpa_container *c, size_t stride, size_t n,
                           struct vpa_aggregate *a, int64_t usage_millicores, int64_t t_ms,
                           size_t *taken);
/* RecordOOM: VPA_ESTALE when older than (last memory sample - interval). */
int vpa_container_record_oom(struct vpa_container *c, struct vpa_aggregate *a,
                             int64_t requested_memory_bytes, int64_t t_ms);

/* The same three decisions, without an aggregate: the histogram operations are
 * written to ops[0..*nops) (at most 2) for the caller to route (replay, re-weighted
 * histories). cfg gives the memory interval and OOM parameters. */
int vpa_container_plan_cpu(struct vpa_container *c, int64_t usage_millicores, int64_t t_ms,
                           struct vpa_hist_op ops[2], int *nops);
int vpa_container_plan_memory(struct vpa_container *c, const struct vpa_agg_config *cfg,
                              int64_t usage_bytes, int64_t t_ms, int is_oom,
                              struct vpa_hist_op ops[2], int *nops);
int vpa_container_plan_oom(struct vpa_container *c, const struct vpa_agg_config *cfg,
                           int64_t requested_memory_bytes, int64_t t_ms, struct vpa_hist_op ops[2],
                           int *nops);
/* Applies planned operations to an aggregate (CPU adds also update the counters). */
int vpa_aggregate_apply(struct vpa_aggregate *a, const struct vpa_hist_op *ops, int nops);

/* The memory peak a checkpoint must not count twice (spec 7.2): when now_ms is
 * before the container's window end, subtracts the current peak from a (the merged
 * state being checkpointed). */
int vpa_container_drop_current_peak(const struct vpa_container *c, struct vpa_aggregate *a,
                                    int64_t now_ms);

/* Aggregate garbage collection (cluster.go garbageCollectAggregateCollectionStates):
 * 1 when the aggregate must be deleted: expired, or no CPU samples and not
 * contributive. */
int vpa_aggregate_gc_should_delete(const struct vpa_aggregate *a, int64_t now_ms, int contributive);
/* GC runs at most once per interval, counted from the previous run: returns 1 and
 * sets *last_gc_ms when it is time. */
int vpa_gc_due(int64_t *last_gc_ms, int64_t now_ms, int64_t interval_ms);

/* ---- estimation (logic/) ------------------------------------------------- */

enum vpa_estimate_field { VPA_TARGET = 0, VPA_LOWER = 1, VPA_UPPER = 2 };

/* getConfidence: min(lifespan / interval, samples / interval-in-minutes). */
double vpa_confidence(const struct vpa_aggregate *a, int64_t interval_ms);
/* One estimate of one resource, with every step of spec 4.1 except the pod minimum
 * and the controlled-resources filter: percentile, margin, confidence multiplier. */
int64_t vpa_estimate(const struct vpa_aggregate *a, const struct vpa_estimator_config *c,
                     int resource, int field);
/* The estimator steps on their own: x + trunc(x * fraction), and
 * x * (1 + multiplier/confidence)^exponent (both through ScaleResource). */
int64_t vpa_apply_margin(int64_t x, double fraction);
int64_t vpa_apply_confidence(int64_t x, double multiplier, double exponent, double confidence);
/* The pod minimum split over n containers (spec 4.4). */
void vpa_pod_min_share(const struct vpa_estimator_config *c, size_t n, int64_t out[2]);

/* One container's recommendation (RecommendedContainerResources). */
struct vpa_rec {
    const char *name;
    struct vpa_resources target, lower, upper, uncapped;
};
/* A recommendation: n entries, or none (items NULL, the nil recommendation). */
struct vpa_recommendation {
    struct vpa_rec *items;
    size_t n;
};

/* The last steps for one container from its six estimates est[field][resource]:
 * the pod minimum min_share, then only the controlled resources (VPA_RES_* bits). */
void vpa_recommend_from_estimates(const int64_t est[3][2], unsigned controlled,
                                  const int64_t min_share[2], struct vpa_rec *out);
/* Estimates for one container: the three fields, pod minimum applied, only the
 * aggregate's controlled resources; uncapped is left empty. The aggregate is not
 * const for its histograms' percentile memo (vpa_hist_percentiles_memo) alone. */
void vpa_recommend_container(struct vpa_aggregate *a, const struct vpa_estimator_config *c,
                             const int64_t min_share[2], struct vpa_rec *out);

/* GetRecommendedPodResources: names[i] / aggs[i] are the merged aggregates per
 * container name. Containers with scaling mode Off get no entry; the rest are
 * written to out (capacity cap) sorted by name, rounded up to round_cpu_milli and
 * round_mem_bytes, uncapped = target. Returns the number written, or PS_ENOSPC. */
int vpa_recommend_pod(const char *const *names, struct vpa_aggregate *const *aggs, size_t n,
                      const struct vpa_estimator_config *c, int64_t round_cpu_milli,
                      int64_t round_mem_bytes, struct vpa_rec *out, size_t cap);

/* Rounds up (ResourcesAsResourceList). humanize: memory is re-expressed with two
 * decimals in the largest binary unit (the deprecated --humanize-memory); its text
 * goes to humanized (cap >= 32) and the byte value is that quantity's Value(). */
int vpa_resources_round(struct vpa_resources *r, int64_t round_cpu_milli, int64_t round_mem_bytes,
                        int humanize, char *humanized, size_t cap);

/* Sorts recommendation entries by container name (byte order). */
void vpa_rec_sort(struct vpa_rec *items, size_t n);

/* Recommender-side capping (spec 4.7, ApplyVPAPolicy): raise target, lower and
 * upper to minAllowed and lower them to maxAllowed (zero = no bound); resources the
 * policy's maxAllowed does not name take global_max (may be NULL). uncapped stays. */
void vpa_apply_vpa_policy(struct vpa_rec *recs, size_t n, const struct vpa_resource_policy *p,
                          const struct vpa_resources *global_max);

/* ---- selection and checkpoint bookkeeping ------------------------------- */

/* Which recommender owns a VPA: an empty list belongs to "default". */
int vpa_selects_recommender(const char *const *recommenders, size_t n, const char *name);
/* Orders indices of VPAs by last checkpoint write, never-written (VPA_TIME_ZERO_MS)
 * first; ties keep input order. */
void vpa_checkpoint_order(const int64_t *written_ms, size_t n, size_t *order);

#endif
