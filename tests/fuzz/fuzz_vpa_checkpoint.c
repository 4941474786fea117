/*
 * Fuzz target: VPA checkpoints from outside (the byte form stored in the history
 * database, and the JSON of a VerticalPodAutoscalerCheckpoint object). The first
 * input byte picks the form. Whatever decodes must load into an aggregate or be
 * refused with a code, and must encode back to something that decodes the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/vpa.h"
#include "podscaler/vpa_checkpoint_json.h"
#include "podscaler/vpa_libc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_load(const struct vpa_agg_checkpoint *cp)
{
    struct vpa_hist_opts cpu, mem;
    struct vpa_agg_config cfg;
    struct vpa_aggregate a;
    vpa_hist_opts_cpu_default(&cpu, &vpa_libc_allocator);
    vpa_hist_opts_memory_default(&mem, &vpa_libc_allocator);
    vpa_agg_config_default(&cfg);
    /* Upstream half-lives: 24 h for both (recommender cpu/memory histogram decay). */
    vpa_aggregate_init(&a, &cpu, &mem, INT64_C(86400000), INT64_C(86400000), &cfg, 0);
    if (vpa_aggregate_load(&a, cp) == 0) {
        /* A loaded aggregate answers percentiles without trouble. */
        (void)vpa_hist_percentile(&a.cpu, 0.9);
        (void)vpa_hist_percentile(&a.mem, 0.9);
        struct vpa_agg_checkpoint again;
        if (vpa_aggregate_save(&a, cp->last_update_ms, &again) != 0)
            abort();
    }
    vpa_aggregate_fini(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vpa_agg_checkpoint cp, back;
    static uint8_t buf[VPA_CKPT_BYTES_MAX];
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        if (vpa_agg_checkpoint_decode(data + 1, size - 1, &cp) != 0)
            return 0;
        int n = vpa_agg_checkpoint_encode(&cp, buf, sizeof buf);
        if (n < 0 || vpa_agg_checkpoint_decode(buf, (size_t)n, &back) != 0)
            abort();
        if (back.cpu.n != cp.cpu.n || back.mem.n != cp.mem.n ||
            back.total_samples != cp.total_samples)
            abort();
    } else {
        char err[128];
        if (vpa_checkpoint_parse((const char *)data + 1, size - 1, &cp, err, sizeof err) != 0)
            return 0;
        char *text = NULL;
        if (vpa_checkpoint_dump(&cp, &text) != 0)
            abort();
        if (vpa_checkpoint_parse(text, strlen(text), &back, err, sizeof err) != 0)
            abort();
        free(text);
    }
    try_load(&cp);
    return 0;
}
