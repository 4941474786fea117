/*
 * capping.c - apply-time capping (utils/vpa/capping.go, limit_and_request_scaling.go,
 * utils/limitrange): spec/vpa.md section 6.
 */
#include <string.h>

#include "podscaler/vpa_update.h"

const struct vpa_resources *vpa_current_requests(const struct vpa_pod_container *c)
{
    return c->has_status ? &c->status_requests : &c->requests;
}

const struct vpa_resources *vpa_current_limits(const struct vpa_pod_container *c)
{
    return c->has_status ? &c->status_limits : &c->limits;
}

/* Callers usually pass the very strings of the pod (the engine keeps one copy of
 * each container name): the pointer test spares the strcmp. */
static int same_name(const char *a, const char *b)
{
    return a == b || strcmp(a, b) == 0;
}

static const struct vpa_pod_container *pod_container(const struct vpa_pod *pod, const char *name)
{
    for (size_t i = 0; i < pod->n; i++)
        if (same_name(pod->containers[i].name, name))
            return &pod->containers[i];
    return NULL;
}

static struct vpa_rec *rec_for(struct vpa_rec *recs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (same_name(recs[i].name, name))
            return &recs[i];
    return NULL;
}

static struct vpa_resources *field_of(struct vpa_rec *r, int field)
{
    return field == VPA_TARGET ? &r->target : field == VPA_LOWER ? &r->lower : &r->upper;
}

/* ---- LimitRange merge ---------------------------------------------------- */

static int list_present(const struct vpa_resources *r)
{
    return (r->set & VPA_RES_LIST) != 0;
}

int vpa_limit_range_merge(const struct vpa_limit_item *items, size_t n, struct vpa_limit_item *out)
{
    struct vpa_limit_item m;
    int any = 0;
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < n; i++) {
        const struct vpa_limit_item *it = &items[i];
        if (!list_present(&it->min) && !list_present(&it->max) && !list_present(&it->def))
            continue;
        any = 1;
        for (int r = 0; r < 2; r++) {
            if (vpa_res_has(&it->max, r) && (!vpa_res_has(&m.max, r) || it->max.v[r] < m.max.v[r]))
                vpa_res_put(&m.max, r, it->max.v[r]);
            if (vpa_res_has(&it->min, r) && (!vpa_res_has(&m.min, r) || it->min.v[r] > m.min.v[r]))
                vpa_res_put(&m.min, r, it->min.v[r]);
        }
        if (list_present(&it->def))
            m.def = it->def;
    }
    if (any)
        *out = m;
    return any;
}

/* ---- proportional scaling -------------------------------------------------- */

/* |a| x |b| as a 128-bit (hi, lo) pair, from 32-bit limbs. */
static void mul_u64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    *lo = (p00 & 0xFFFFFFFFu) | (mid << 32);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* (hi, lo) / d for hi < d: shift-and-subtract, 64 steps. */
static uint64_t div_u128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
    if (hi == 0) {
        /* The common case fits 64 bits: the same quotient and remainder at once. */
        *rem = lo % d;
        return lo / d;
    }
    uint64_t q = 0;
    for (int i = 63; i >= 0; i--) {
        int carry = (hi >> 63) != 0;
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        q <<= 1;
        if (carry || hi >= d) {
            hi -= d;
            q |= 1;
        }
    }
    *rem = hi;
    return q;
}

static uint64_t mag(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* Exact a x b / c with the big-integer semantics of upstream (floor division; the
 * CPU round-up adds one on a remainder), without 128-bit compiler helpers so that
 * the core links nothing but libc and libm. */
int vpa_scale_proportionally(int resource, int64_t value, int64_t base, int64_t result,
                             int rounding, int64_t *out)
{
    if (base == 0) {
        *out = value;
        return VPA_SCALE_DIV_ZERO;
    }
    int negative = (value < 0) != (result < 0) && value != 0 && result != 0;
    negative ^= base < 0;
    uint64_t hi, lo, rem, q;
    uint64_t d = mag(base);
    mul_u64(mag(value), mag(result), &hi, &lo);
    if (hi >= d) {
        *out = INT64_MAX;
        return VPA_SCALE_OVERFLOW;
    }
    q = div_u128(hi, lo, d, &rem);
    if (negative && rem)
        q++; /* floor of a negative quotient */
    else if (!negative && rem && resource == VPA_CPU && rounding == VPA_ROUND_UP)
        q++;
    if (q > (uint64_t)INT64_MAX + (negative ? 1u : 0u)) {
        *out = INT64_MAX;
        return VPA_SCALE_OVERFLOW;
    }
    *out = negative ? (int64_t)(0 - q) : (int64_t)q;
    return VPA_SCALE_OK;
}

int vpa_proportional_limit(int resource, const int64_t *original_limit,
                           const int64_t *original_request, const int64_t *recommended_request,
                           const int64_t *default_limit, int64_t *limit, int *note)
{
    *note = VPA_LIMIT_NOTE_NONE;
    if ((!original_limit || *original_limit == 0) && default_limit)
        original_limit = default_limit;
    if (!original_limit || *original_limit == 0) {
        *note = VPA_LIMIT_NOTE_NO_LIMIT;
        return 0;
    }
    if (!recommended_request || *recommended_request == 0) {
        *note = VPA_LIMIT_NOTE_NO_REQUEST;
        return 0;
    }
    if (!original_request || *original_request == 0 || *original_request == *original_limit) {
        *limit = *recommended_request;
        return 1;
    }
    int rc = vpa_scale_proportionally(resource, *original_limit, *original_request,
                                      *recommended_request, VPA_ROUND_NONE, limit);
    if (rc == VPA_SCALE_OVERFLOW)
        *note = VPA_LIMIT_NOTE_CAPPED_TO_INT64;
    return 1;
}

const char *vpa_limit_note_text(int resource, int note)
{
    static const char *const capped[2] = {
        "cpu: failed to keep limit to request ratio; capping limit to int64",
        "memory: failed to keep limit to request ratio; capping limit to int64"};
    static const char *const nolimit[2] = {"cpu: no original limit, no limit set",
                                           "memory: no original limit, no limit set"};
    static const char *const noreq[2] = {"cpu: recommended request is zero, no limit set",
                                         "memory: recommended request is zero, no limit set"};
    if (resource != VPA_CPU && resource != VPA_MEMORY)
        return "";
    switch (note) {
    case VPA_LIMIT_NOTE_CAPPED_TO_INT64:
        return capped[resource];
    case VPA_LIMIT_NOTE_NO_LIMIT:
        return nolimit[resource];
    case VPA_LIMIT_NOTE_NO_REQUEST:
        return noreq[resource];
    default:
        return "";
    }
}

/* ---- pod LimitRange (spec 6.2) ------------------------------------------ */

static const int64_t *opt(const struct vpa_resources *r, int res)
{
    return vpa_res_has(r, res) ? &r->v[res] : NULL;
}

static int64_t lr_value(const struct vpa_resources *r, int res)
{
    return vpa_res_has(r, res) ? r->v[res] : 0;
}

void vpa_apply_pod_limit_range(struct vpa_rec *recs, size_t n, const struct vpa_pod *pod,
                               const struct vpa_limit_item *lr, int resource, int field)
{
    int64_t min = lr_value(&lr->min, resource), max = lr_value(&lr->max, resource);
    const int64_t *def = opt(&lr->def, resource);
    int64_t sum_limit = 0, sum_rec = 0;
    for (size_t i = 0; i < pod->n; i++) {
        const struct vpa_pod_container *c = &pod->containers[i];
        const struct vpa_resources *req = vpa_current_requests(c), *lim = vpa_current_limits(c);
        struct vpa_rec *r = rec_for(recs, n, c->name);
        int64_t value = r ? lr_value(field_of(r, field), resource) : lr_value(req, resource);
        int64_t climit;
        int note;
        /* Sums saturate where Quantity arithmetic would grow without bound. */
        if (vpa_proportional_limit(resource, opt(lim, resource), opt(req, resource), &value, def,
                                   &climit, &note) &&
            __builtin_add_overflow(sum_limit, climit, &sum_limit))
            sum_limit = INT64_MAX;
        if (__builtin_add_overflow(sum_rec, value, &sum_rec))
            sum_rec = INT64_MAX;
    }
    if (min <= sum_limit && min <= sum_rec && (max == 0 || max >= sum_limit))
        return;
    int64_t s_rec = sum_rec, s_lim = sum_limit;
    int64_t target;
    int rounding;
    if (min > sum_rec && sum_limit != 0) {
        target = min;
        rounding = VPA_ROUND_UP;
        s_lim = s_rec;
    } else if (sum_limit == 0) {
        return;
    } else {
        target = 0;
        if (min > sum_limit)
            target = min;
        if (max != 0 && max < sum_limit)
            target = max;
        rounding = VPA_ROUND_DOWN;
    }
    /* Only containers with a recommendation are changed: upstream would dereference
     * a missing one (spec 6.2, quirk), defined here as "leave unchanged". */
    for (size_t i = 0; i < pod->n; i++) {
        struct vpa_rec *r = rec_for(recs, n, pod->containers[i].name);
        if (!r)
            continue;
        struct vpa_resources *f = field_of(r, field);
        if (!vpa_res_has(f, resource))
            continue;
        int64_t v;
        (void)vpa_scale_proportionally(resource, f->v[resource], s_lim, target, rounding, &v);
        f->v[resource] = v;
    }
}

/* ---- container LimitRange, policy, limits (spec 6.3, 6.4, 6.1) -------------- */

/* GetBoundaryRequest: 0 means no bound. */
static int64_t boundary_request(const struct vpa_pod_container *c, int res, int64_t boundary,
                                const struct vpa_limit_item *lr)
{
    const struct vpa_resources *req = vpa_current_requests(c), *lim = vpa_current_limits(c);
    int64_t limit = lr_value(lim, res);
    if (limit == 0)
        limit = lr_value(&lr->def, res);
    if (limit == 0)
        return 0;
    int64_t request = lr_value(req, res);
    if (request == 0)
        return boundary;
    int64_t out;
    (void)vpa_scale_proportionally(res, request, limit, boundary, VPA_ROUND_NONE, &out);
    return out;
}

static int add_note(struct vpa_cap_output *out, size_t item, int res, int kind)
{
    if (!out)
        return 0;
    if (out->n_notes >= out->notes_cap)
        return PS_ENOSPC;
    out->notes[out->n_notes++] = (struct vpa_cap_note){(uint32_t)item, (uint8_t)res, (uint8_t)kind};
    return 0;
}

static int cap_field(struct vpa_resources *f, const struct vpa_pod_container *c,
                     const struct vpa_container_policy *cp, const struct vpa_limit_item *lr,
                     struct vpa_cap_output *out, size_t item)
{
    int rc = 0;
    for (int r = 0; r < 2 && !rc; r++) {
        if (!vpa_res_has(f, r))
            continue;
        int64_t *v = &f->v[r];
        if (lr) {
            int64_t maxb = list_present(&lr->max) && vpa_res_has(&lr->max, r)
                               ? boundary_request(c, r, lr->max.v[r], lr)
                               : 0;
            int64_t minb = 0;
            if (list_present(&lr->min)) {
                minb = vpa_res_has(&lr->min, r) ? boundary_request(c, r, lr->min.v[r], lr) : 0;
                /* Kubernetes requires the request itself >= Min too. */
                if (vpa_res_has(&lr->min, r) && lr->min.v[r] > minb)
                    minb = lr->min.v[r];
            }
            if (minb != 0 && *v < minb) {
                *v = minb;
                rc = add_note(out, item, r, VPA_CAP_LR_MIN);
            }
            if (!rc && maxb != 0 && *v > maxb) {
                *v = maxb;
                rc = add_note(out, item, r, VPA_CAP_LR_MAX);
            }
        }
        if (!rc && cp) {
            if (vpa_res_has(&cp->min_allowed, r) && cp->min_allowed.v[r] != 0 &&
                *v < cp->min_allowed.v[r]) {
                *v = cp->min_allowed.v[r];
                rc = add_note(out, item, r, VPA_CAP_MIN_ALLOWED);
            }
            if (!rc && vpa_res_has(&cp->max_allowed, r) && cp->max_allowed.v[r] != 0 &&
                *v > cp->max_allowed.v[r]) {
                *v = cp->max_allowed.v[r];
                rc = add_note(out, item, r, VPA_CAP_MAX_ALLOWED);
            }
        }
        if (!rc && cp && cp->has_controlled_values &&
            cp->controlled_values == VPA_CV_REQUESTS_ONLY) {
            const struct vpa_resources *lim = vpa_current_limits(c);
            if (vpa_res_has(lim, r) && *v > lim->v[r]) {
                *v = lim->v[r];
                rc = add_note(out, item, r, VPA_CAP_CONTAINER_LIMIT);
            }
        }
    }
    return rc;
}

const char *vpa_cap_note_text(int resource, int kind)
{
    static const char *const text[5][2] = {
        {"cpu capped to minAllowed", "memory capped to minAllowed"},
        {"cpu capped to maxAllowed", "memory capped to maxAllowed"},
        {"cpu capped to container limit", "memory capped to container limit"},
        {"cpu capped to fit Max in container LimitRange",
         "memory capped to fit Max in container LimitRange"},
        {"cpu capped to fit Min in container LimitRange",
         "memory capped to fit Min in container LimitRange"},
    };
    if (resource < 0 || resource > 1 || kind < 0 || kind > 4)
        return "";
    return text[kind][resource];
}

int vpa_cap_apply(const struct vpa_cap_input *in, struct vpa_cap_output *out)
{
    if (!in->has_vpa || !in->pod)
        return VPA_ENOVPA;
    const struct vpa_pod *pod = in->pod;
    out->n = 0;
    out->n_notes = 0;
    out->nil = 0;
    if (!in->rec && !in->policy) {
        out->nil = 1;
        return 0;
    }
    size_t nrec = in->rec ? in->rec->n : 0;
    if (out->cap < nrec + pod->n)
        return PS_ENOSPC;
    /* Work on a copy of the entries whose container exists in the pod. The pod
     * LimitRange pass sums over pod containers, so dropping other names first is
     * equivalent. */
    struct vpa_rec *w = out->items;
    size_t n = 0;
    for (size_t i = 0; i < nrec; i++)
        if (pod_container(pod, in->rec->items[i].name))
            w[n++] = in->rec->items[i];
    if (in->pod_lr) {
        /* Containers without a recommendation but with requests get one whose
         * target is their requests. */
        for (size_t i = 0; i < pod->n; i++) {
            const struct vpa_pod_container *c = &pod->containers[i];
            const struct vpa_resources *req = vpa_current_requests(c);
            if (rec_for(w, n, c->name) || !(req->set & (VPA_RES_CPU | VPA_RES_MEM)))
                continue;
            memset(&w[n], 0, sizeof w[n]);
            w[n].name = c->name;
            w[n].target = *req;
            w[n].target.set |= VPA_RES_LIST;
            n++;
        }
        static const int fields[3] = {VPA_UPPER, VPA_TARGET, VPA_LOWER};
        for (int f = 0; f < 3; f++)
            for (int r = 0; r < 2; r++)
                vpa_apply_pod_limit_range(w, n, pod, in->pod_lr, r, fields[f]);
    }
    for (size_t i = 0; i < n; i++) {
        const struct vpa_pod_container *c = pod_container(pod, w[i].name);
        const struct vpa_container_policy *cp = vpa_policy_for(in->policy, c->name);
        int rc = cap_field(&w[i].target, c, cp, in->container_lr, out, i);
        if (!rc)
            rc = cap_field(&w[i].lower, c, cp, in->container_lr, NULL, i);
        if (!rc)
            rc = cap_field(&w[i].upper, c, cp, in->container_lr, NULL, i);
        if (rc)
            return rc;
    }
    out->n = n;
    return 0;
}

void vpa_new_resources(const struct vpa_rec *rec, const struct vpa_pod_container *c,
                       int controlled_values, const struct vpa_resources *lr_default,
                       struct vpa_resources *requests, struct vpa_resources *limits)
{
    const struct vpa_resources *req = vpa_current_requests(c), *lim = vpa_current_limits(c);
    *requests = *req;
    *limits = *lim;
    for (int r = 0; r < 2; r++) {
        if (!vpa_res_has(&rec->target, r))
            continue;
        vpa_res_put(requests, r, rec->target.v[r]);
        if (controlled_values == VPA_CV_REQUESTS_ONLY)
            continue;
        int64_t l;
        int note;
        if (vpa_proportional_limit(r, opt(lim, r), opt(req, r), &rec->target.v[r],
                                   lr_default ? opt(lr_default, r) : NULL, &l, &note))
            vpa_res_put(limits, r, l);
    }
}
