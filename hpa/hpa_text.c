/*
 * hpa_text.c - names, error strings and upstream's messages, written into caller buffers
 * without stdio (the core is pure).
 */
#include <string.h>

#include "hpa_internal.h"

const char *hpa_strerror(int code)
{
    switch (code) {
    case HPA_ENOPODS:
        return "no pods returned by selector while calculating replica count";
    case HPA_ENOMETRICS:
        return "no metrics returned from the metrics API";
    case HPA_EFETCH:
        return "unable to fetch metrics from the metrics API";
    case HPA_ENOREADYMETRICS:
        return "did not receive metrics for targeted pods (pods might be unready)";
    case HPA_ENOREQUEST:
        return "missing request for the resource in a container";
    case HPA_ENOPODREQUEST:
        return "missing pod-level request for the resource";
    case HPA_ENOCONTAINER:
        return "container not found in pod";
    case HPA_ENOMATCH:
        return "no metrics returned matched known pods (requests of measured pods sum to 0)";
    case HPA_ENOTARGET:
        return "metric source has no usable target";
    case HPA_EBADTYPE:
        return "unknown metric source type";
    case HPA_ETARGET:
        return "metric target is zero or negative";
    case HPA_ENEGMETRIC:
        return "metric value is negative";
    case HPA_EOVERFLOW:
        return "metric values overflow";
    case HPA_EMINMAX:
        return "invalid min/max replicas (need 0 <= min <= max, max >= 1)";
    case HPA_EREPLICAS:
        return "replica count is negative";
    case HPA_ETOLERANCE:
        return "tolerance is NaN, infinite or negative";
    case HPA_EPOLICY:
        return "invalid scaling policy";
    case HPA_EWINDOW:
        return "stabilization window outside [0, 3600] s";
    case HPA_ETOOMANY:
        return "more metrics or conditions than supported";
    case HPA_ENOMETRICSPEC:
        return "spec.metrics is empty";
    case HPA_ESELECTOR:
        return "the HPA target's scale is missing a selector or it is invalid";
    case HPA_EAMBIGUOUS:
        return "pods are controlled by multiple HPAs";
    case HPA_ESTATUSREPLICAS:
        return "per-pod target with zero status replicas";
    case HPA_EGETSCALE:
        return "unable to get the target's current scale";
    case HPA_ESTATE:
        return "corrupt HPA state";
    case HPA_ECONFIG:
        return "invalid HPA controller setting";
    default:
        return ps_strerror(code);
    }
}

const char *hpa_resource_name(enum hpa_resource r)
{
    switch (r) {
    case HPA_RES_CPU:
        return "cpu";
    case HPA_RES_MEMORY:
        return "memory";
    default:
        return "";
    }
}

static const char *const reason_names[HPA_REASON_COUNT_] = {
    [HPA_REASON_OTHER] = "",
    [HPA_REASON_SUCCEEDED_GET_SCALE] = "SucceededGetScale",
    [HPA_REASON_FAILED_GET_SCALE] = "FailedGetScale",
    [HPA_REASON_READY_FOR_NEW_SCALE] = "ReadyForNewScale",
    [HPA_REASON_SCALE_DOWN_STABILIZED] = "ScaleDownStabilized",
    [HPA_REASON_SCALE_UP_STABILIZED] = "ScaleUpStabilized",
    [HPA_REASON_SUCCEEDED_RESCALE] = "SucceededRescale",
    [HPA_REASON_FAILED_UPDATE_SCALE] = "FailedUpdateScale",
    [HPA_REASON_VALID_METRIC_FOUND] = "ValidMetricFound",
    [HPA_REASON_SCALING_DISABLED] = "ScalingDisabled",
    [HPA_REASON_INVALID_SELECTOR] = "InvalidSelector",
    [HPA_REASON_AMBIGUOUS_SELECTOR] = "AmbiguousSelector",
    [HPA_REASON_FAILED_GET_RESOURCE_METRIC] = "FailedGetResourceMetric",
    [HPA_REASON_FAILED_GET_CONTAINER_RESOURCE_METRIC] = "FailedGetContainerResourceMetric",
    [HPA_REASON_FAILED_GET_PODS_METRIC] = "FailedGetPodsMetric",
    [HPA_REASON_FAILED_GET_OBJECT_METRIC] = "FailedGetObjectMetric",
    [HPA_REASON_FAILED_GET_EXTERNAL_METRIC] = "FailedGetExternalMetric",
    [HPA_REASON_INVALID_METRIC_SOURCE_TYPE] = "InvalidMetricSourceType",
    [HPA_REASON_DESIRED_WITHIN_RANGE] = "DesiredWithinRange",
    [HPA_REASON_TOO_MANY_REPLICAS] = "TooManyReplicas",
    [HPA_REASON_TOO_FEW_REPLICAS] = "TooFewReplicas",
    [HPA_REASON_SCALE_UP_LIMIT] = "ScaleUpLimit",
    [HPA_REASON_SCALE_DOWN_LIMIT] = "ScaleDownLimit",
    [HPA_REASON_SCALED_TO_ZERO] = "ScaledToZero",
    [HPA_REASON_NOT_SCALED_TO_ZERO] = "NotScaledToZero",
};

static const char *const type_names[] = {
    [HPA_COND_ABLE_TO_SCALE] = "AbleToScale",
    [HPA_COND_SCALING_ACTIVE] = "ScalingActive",
    [HPA_COND_SCALING_LIMITED] = "ScalingLimited",
    [HPA_COND_SCALED_TO_ZERO] = "ScaledToZero",
    [HPA_COND_OTHER] = "",
};

const char *hpa_reason_name(enum hpa_reason r)
{
    if ((int)r < 0 || r >= HPA_REASON_COUNT_)
        return "";
    return reason_names[r];
}

const char *hpa_cond_type_name(enum hpa_cond_type t)
{
    if ((int)t < 0 || t > HPA_COND_OTHER)
        return "";
    return type_names[t];
}

enum hpa_reason hpa_reason_from_name(const char *s)
{
    if (!s || !s[0])
        return HPA_REASON_OTHER;
    for (int i = 1; i < HPA_REASON_COUNT_; i++)
        if (strcmp(reason_names[i], s) == 0)
            return (enum hpa_reason)i;
    return HPA_REASON_OTHER;
}

enum hpa_cond_type hpa_cond_type_from_name(const char *s)
{
    if (!s)
        return HPA_COND_OTHER;
    for (int i = 0; i < HPA_COND_OTHER; i++)
        if (strcmp(type_names[i], s) == 0)
            return (enum hpa_cond_type)i;
    return HPA_COND_OTHER;
}

/* ------------------------------------------------------------------------------------- */
/* A bounded string builder. */

struct sb {
    char *buf;
    size_t cap, len;
};

static void sb_init(struct sb *b, char *buf, size_t cap)
{
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    if (cap > 0)
        buf[0] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
    if (!s)
        s = "";
    for (; *s; s++) {
        if (b->len + 1 < b->cap) {
            b->buf[b->len++] = *s;
            b->buf[b->len] = '\0';
        }
    }
}

static void sb_i64(struct sb *b, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u && n < sizeof tmp);
    if (v < 0)
        sb_str(b, "-");
    char one[2] = {0, 0};
    while (n > 0) {
        one[0] = tmp[--n];
        sb_str(b, one);
    }
}

static void metric_name_sb(struct sb *b, const struct hpa_metric_spec *m)
{
    const char *sel = m->selector_text ? m->selector_text : "nil";
    switch (hpa__path(m)) {
    case HPA_PATH_RESOURCE_UTILIZATION:
        sb_str(b, hpa_resource_name(m->resource));
        sb_str(b, m->type == HPA_METRIC_CONTAINER_RESOURCE
                      ? " container resource utilization (percentage of request)"
                      : " resource utilization (percentage of request)");
        break;
    case HPA_PATH_RESOURCE_AVERAGE:
        sb_str(b, hpa_resource_name(m->resource));
        sb_str(b, " resource");
        break;
    case HPA_PATH_PODS:
        sb_str(b, "pods metric ");
        sb_str(b, m->name);
        break;
    case HPA_PATH_OBJECT_VALUE:
        sb_str(b, m->object_kind);
        sb_str(b, " metric ");
        sb_str(b, m->name);
        break;
    case HPA_PATH_OBJECT_AVERAGE: /* sic: upstream names it "external metric" */
    case HPA_PATH_EXTERNAL_VALUE:
    case HPA_PATH_EXTERNAL_AVERAGE:
        sb_str(b, "external metric ");
        sb_str(b, m->name);
        sb_str(b, "(");
        sb_str(b, sel);
        sb_str(b, ")");
        break;
    case HPA_PATH_NO_TARGET:
    case HPA_PATH_BAD_TYPE:
    default:
        sb_str(b, "invalid metric");
        break;
    }
}

size_t hpa_metric_name(const struct hpa_metric_spec *m, char *buf, size_t cap)
{
    struct sb b;
    sb_init(&b, buf, cap);
    if (m)
        metric_name_sb(&b, m);
    return b.len;
}

static void source_prefix(struct sb *b, const struct hpa_metric_spec *m)
{
    /* The wrapping the calculator adds around metrics-client errors. */
    switch (m ? hpa__path(m) : HPA_PATH_BAD_TYPE) {
    case HPA_PATH_RESOURCE_UTILIZATION:
    case HPA_PATH_RESOURCE_AVERAGE:
        sb_str(b, "unable to get metrics for resource ");
        sb_str(b, hpa_resource_name(m->resource));
        sb_str(b, ": ");
        break;
    case HPA_PATH_EXTERNAL_VALUE:
    case HPA_PATH_EXTERNAL_AVERAGE:
        sb_str(b, "unable to get external metric ");
        sb_str(b, m->name);
        sb_str(b, ": ");
        break;
    case HPA_PATH_PODS:
    case HPA_PATH_OBJECT_VALUE:
    case HPA_PATH_OBJECT_AVERAGE:
        sb_str(b, "unable to get metric ");
        sb_str(b, m->name);
        sb_str(b, ": ");
        break;
    default:
        break;
    }
}

static const char *api_name(const struct hpa_metric_spec *m)
{
    if (!m)
        return "metrics";
    switch (m->type) {
    case HPA_METRIC_RESOURCE:
    case HPA_METRIC_CONTAINER_RESOURCE:
        return "resource metrics";
    case HPA_METRIC_EXTERNAL:
        return "external metrics";
    default:
        return "custom metrics";
    }
}

static void metric_error_sb(struct sb *b, const struct hpa_metric_spec *m,
                            const struct hpa_metric_status *st, const struct hpa_pod *pods,
                            size_t n_pods)
{
    const char *res = m ? hpa_resource_name(m->resource) : "";
    const struct hpa_pod *pod =
        (pods && st->err_pod >= 0 && (size_t)st->err_pod < n_pods) ? &pods[st->err_pod] : NULL;
    const char *pod_name = pod && pod->name ? pod->name : "?";
    switch (st->err) {
    case HPA_EFETCH:
        source_prefix(b, m);
        sb_str(b, "unable to fetch metrics from ");
        sb_str(b, api_name(m));
        sb_str(b, " API");
        break;
    case HPA_ENOMETRICS:
        source_prefix(b, m);
        sb_str(b, "no metrics returned from ");
        sb_str(b, api_name(m));
        sb_str(b, " API");
        break;
    case HPA_ENOPODS:
        if (m && (m->type == HPA_METRIC_OBJECT || m->type == HPA_METRIC_EXTERNAL))
            sb_str(b, "unable to calculate ready pods: ");
        sb_str(b, hpa_strerror(st->err));
        break;
    case HPA_ENOREQUEST: {
        const char *cname = "?";
        if (pod && st->err_container >= 0) {
            size_t k = (size_t)st->err_container;
            if (k < pod->n_containers)
                cname = pod->containers[k].name;
            else if (k - pod->n_containers < pod->n_init_containers)
                cname = pod->init_containers[k - pod->n_containers].name;
        }
        sb_str(b, "missing request for ");
        sb_str(b, res);
        sb_str(b, " in container ");
        sb_str(b, cname);
        sb_str(b, " of Pod ");
        sb_str(b, pod_name);
        break;
    }
    case HPA_ENOPODREQUEST:
        sb_str(b, "missing pod-level request for ");
        sb_str(b, res);
        sb_str(b, " in Pod ");
        sb_str(b, pod_name);
        break;
    case HPA_ENOCONTAINER:
        sb_str(b, "container ");
        sb_str(b, m && m->container ? m->container : "?");
        sb_str(b, " not found in Pod ");
        sb_str(b, pod_name);
        break;
    case HPA_ENOMATCH:
        sb_str(b, "no metrics returned matched known pods");
        break;
    case HPA_ENOTARGET:
        if (m && m->type == HPA_METRIC_OBJECT)
            sb_str(b, "invalid object metric source: neither a value target nor an average "
                      "value target was set");
        else if (m && m->type == HPA_METRIC_EXTERNAL)
            sb_str(b, "invalid external metric source: neither a value target nor an average "
                      "value target was set");
        else if (m && m->type == HPA_METRIC_PODS)
            sb_str(b, "invalid pods metric source: no average value target was set");
        else
            sb_str(b, "invalid resource metric source: neither an average utilization target "
                      "nor an average value target was set");
        break;
    default:
        sb_str(b, hpa_strerror(st->err));
        break;
    }
}

size_t hpa_metric_error(const struct hpa_metric_spec *m, const struct hpa_metric_status *st,
                        const struct hpa_pod *pods, size_t n_pods, char *buf, size_t cap)
{
    struct sb b;
    sb_init(&b, buf, cap);
    if (st)
        metric_error_sb(&b, m, st, pods, n_pods);
    return b.len;
}

size_t hpa_condition_message(const struct hpa_spec *spec, const struct hpa_decision *d,
                             const struct hpa_condition *c, char *buf, size_t cap)
{
    struct sb b;
    sb_init(&b, buf, cap);
    if (!c)
        return 0;
    const struct hpa_metric_spec *m = NULL;
    if (spec && c->arg >= 0 && (size_t)c->arg < spec->n_metrics)
        m = &spec->metrics[c->arg];
    switch (c->reason) {
    case HPA_REASON_SUCCEEDED_GET_SCALE:
        sb_str(&b, "the HPA controller was able to get the target's current scale");
        break;
    case HPA_REASON_FAILED_GET_SCALE:
        sb_str(&b, "the HPA controller was unable to get the target's current scale: ");
        sb_str(&b, hpa_strerror(c->err));
        break;
    case HPA_REASON_READY_FOR_NEW_SCALE:
        sb_str(&b, "recommended size matches current size");
        break;
    case HPA_REASON_SCALE_DOWN_STABILIZED:
        sb_str(&b, "recent recommendations were higher than current one, applying the highest "
                   "recent recommendation");
        break;
    case HPA_REASON_SCALE_UP_STABILIZED:
        sb_str(&b, "recent recommendations were lower than current one, applying the lowest "
                   "recent recommendation");
        break;
    case HPA_REASON_SUCCEEDED_RESCALE:
        sb_str(&b, "the HPA controller was able to update the target scale to ");
        sb_i64(&b, c->arg);
        break;
    case HPA_REASON_FAILED_UPDATE_SCALE:
        sb_str(&b, "the HPA controller was unable to update the target scale: ");
        sb_str(&b, hpa_strerror(c->err));
        break;
    case HPA_REASON_VALID_METRIC_FOUND:
        sb_str(&b, "the HPA was able to successfully calculate a replica count from ");
        if (m)
            metric_name_sb(&b, m);
        break;
    case HPA_REASON_SCALING_DISABLED:
        sb_str(&b, "scaling is disabled since the replica count of the target is zero");
        break;
    case HPA_REASON_INVALID_SELECTOR:
    case HPA_REASON_AMBIGUOUS_SELECTOR:
        sb_str(&b, hpa_strerror(c->err));
        break;
    case HPA_REASON_FAILED_GET_RESOURCE_METRIC:
    case HPA_REASON_FAILED_GET_CONTAINER_RESOURCE_METRIC:
    case HPA_REASON_FAILED_GET_PODS_METRIC:
    case HPA_REASON_FAILED_GET_OBJECT_METRIC:
    case HPA_REASON_FAILED_GET_EXTERNAL_METRIC:
    case HPA_REASON_INVALID_METRIC_SOURCE_TYPE:
        sb_str(&b, "the HPA was unable to compute the replica count: ");
        if (d && c->arg >= 0 && (size_t)c->arg < d->n_metrics)
            metric_error_sb(&b, m, &d->metrics[c->arg], NULL, 0);
        else
            sb_str(&b, hpa_strerror(c->err));
        break;
    case HPA_REASON_DESIRED_WITHIN_RANGE:
        sb_str(&b, "the desired count is within the acceptable range");
        break;
    case HPA_REASON_TOO_MANY_REPLICAS:
        sb_str(&b, "the desired replica count is more than the maximum replica count");
        break;
    case HPA_REASON_TOO_FEW_REPLICAS:
        sb_str(&b, "the desired replica count is less than the minimum replica count");
        break;
    case HPA_REASON_SCALE_UP_LIMIT:
        sb_str(&b, "the desired replica count is increasing faster than the maximum scale rate");
        break;
    case HPA_REASON_SCALE_DOWN_LIMIT:
        sb_str(&b, "the desired replica count is decreasing faster than the maximum scale rate");
        break;
    case HPA_REASON_SCALED_TO_ZERO:
        sb_str(&b, "the HPA controller scaled the workload to zero");
        break;
    case HPA_REASON_NOT_SCALED_TO_ZERO:
        sb_str(&b, "the HPA controller did not scale the workload to zero");
        break;
    case HPA_REASON_OTHER:
    default:
        break;
    }
    return b.len;
}

size_t hpa_rescale_message(const struct hpa_spec *spec, const struct hpa_decision *d, char *buf,
                           size_t cap)
{
    struct sb b;
    sb_init(&b, buf, cap);
    if (!d)
        return 0;
    sb_str(&b, "New size: ");
    sb_i64(&b, d->desired_replicas);
    sb_str(&b, "; reason: ");
    switch (d->rescale_reason) {
    case HPA_RESCALE_ABOVE_MAX:
        sb_str(&b, "Current number of replicas above Spec.MaxReplicas");
        break;
    case HPA_RESCALE_BELOW_MIN:
        sb_str(&b, "Current number of replicas below Spec.MinReplicas");
        break;
    case HPA_RESCALE_METRIC_ABOVE:
        if (spec && d->rescale_metric >= 0 && (size_t)d->rescale_metric < spec->n_metrics)
            metric_name_sb(&b, &spec->metrics[d->rescale_metric]);
        sb_str(&b, " above target");
        break;
    case HPA_RESCALE_ALL_BELOW:
        sb_str(&b, "All metrics below target");
        break;
    case HPA_RESCALE_NONE:
    default:
        break;
    }
    if (d->outcome == HPA_OUT_RESCALE_FAILED) {
        sb_str(&b, "; error: ");
        sb_str(&b, hpa_strerror(d->err));
    }
    return b.len;
}
