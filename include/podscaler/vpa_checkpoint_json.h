/*
 * vpa_checkpoint_json.h - the JSON form of a VPA aggregate checkpoint.
 *
 * The shape of VerticalPodAutoscalerCheckpoint's status (autoscaling.k8s.io/v1):
 * {"lastUpdateTime", "version", "cpuHistogram", "memoryHistogram",
 *  "firstSampleStart", "lastSampleStart", "totalSamplesCount"}, each histogram
 * {"referenceTimestamp", "bucketWeights": {"<index>": uint32}, "totalWeight"}.
 * Times are RFC 3339 in whole seconds as metav1.Time writes them; Go's zero time is
 * null. Part of the I/O shell (jansson): the pure byte form is in vpa.h.
 *
 * Ownership: vpa_checkpoint_to_json returns a new reference the caller must
 * json_decref; vpa_checkpoint_dump returns a malloc'd string the caller frees.
 * Parsing never keeps pointers into its input.
 */
#ifndef PODSCALER_VPA_CHECKPOINT_JSON_H
#define PODSCALER_VPA_CHECKPOINT_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "podscaler/vpa.h"

/* NULL when out of memory. */
json_t *vpa_checkpoint_to_json(const struct vpa_agg_checkpoint *cp);
/* PS_EPARSE for a wrong shape (err names the field), PS_ECORRUPT for bad bucket
 * data (a key that is not an index, a weight that is not a uint32, too many
 * buckets); *cp is written only on success. The version is copied as it is:
 * vpa_aggregate_load() rejects versions other than v3. err may be NULL. */
int vpa_checkpoint_from_json(const json_t *status, struct vpa_agg_checkpoint *cp, char *err,
                             size_t errlen);
/* Text forms of the same. */
int vpa_checkpoint_dump(const struct vpa_agg_checkpoint *cp, char **out);
int vpa_checkpoint_parse(const char *text, size_t len, struct vpa_agg_checkpoint *cp, char *err,
                         size_t errlen);

#endif
