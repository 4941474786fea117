/* The coordinator's structured reasons as text, for decisions and logs. */
#include <stdio.h>

#include "podscaler/coord.h"

int coord_format_reason(const struct coord_ownership *o, const struct coord_params *p, char *buf,
                        size_t cap)
{
    double pct = p->pressure_percentile * 100;
    double pc = o->pressure[COORD_CPU], pm = o->pressure[COORD_MEMORY];
    int b = o->bottleneck;
    switch (o->reason) {
    case COORD_R_NO_HORIZONTAL:
        return snprintf(buf, cap, "no horizontal scaler: the vertical scaler owns cpu and memory");
    case COORD_R_RULE1_RESOURCES:
        return snprintf(buf, cap, "rule 1: the horizontal metrics name %s%s%s",
                        o->owner[COORD_CPU] == COORD_OWNER_HORIZONTAL ? "cpu" : "",
                        o->owner[COORD_CPU] == COORD_OWNER_HORIZONTAL &&
                                o->owner[COORD_MEMORY] == COORD_OWNER_HORIZONTAL
                            ? " and "
                            : "",
                        o->owner[COORD_MEMORY] == COORD_OWNER_HORIZONTAL ? "memory" : "");
    case COORD_R_RULE2_LOAD:
        return snprintf(buf, cap,
                        "rule 2: the horizontal metrics are Pods/Object/External: the "
                        "vertical scaler owns cpu and memory");
    case COORD_R_FIXED:
        return snprintf(buf, cap, "bottleneck fixed by the policy: %s",
                        coord_resource_name((enum coord_resource)b));
    case COORD_R_AUTO_NO_HISTORY:
        return snprintf(buf, cap,
                        "Auto: not enough usage history yet: cpu, as the stock HPA's default");
    case COORD_R_AUTO_INELIGIBLE:
        return snprintf(buf, cap,
                        "Auto: %s stays: %s leads (p%.0f usage/request cpu %.3f, memory %.3f) "
                        "but only %.0f%% of its usage is load, below the %.0f%% that adding "
                        "replicas can relieve",
                        coord_resource_name((enum coord_resource)b),
                        coord_resource_name((enum coord_resource)(1 - b)), pct, pc, pm,
                        o->load_share[1 - b] * 100, p->min_load_share * 100);
    case COORD_R_AUTO_FIRST:
        return snprintf(buf, cap,
                        "Auto: first choice %s (p%.0f usage/request cpu %.3f, memory %.3f; load "
                        "share cpu %.0f%%, memory %.0f%%)",
                        coord_resource_name((enum coord_resource)b), pct, pc, pm,
                        o->load_share[COORD_CPU] * 100, o->load_share[COORD_MEMORY] * 100);
    case COORD_R_AUTO_STAYS:
        return snprintf(buf, cap,
                        "Auto: %s stays the bottleneck (p%.0f usage/request cpu %.3f, "
                        "memory %.3f)",
                        coord_resource_name((enum coord_resource)b), pct, pc, pm);
    case COORD_R_AUTO_CHALLENGED:
        return snprintf(buf, cap,
                        "Auto: %s leads by more than %.0f%% for %llds of the %llds needed (cpu "
                        "%.3f, memory %.3f)",
                        coord_resource_name((enum coord_resource)(1 - b)), p->switch_margin * 100,
                        (long long)(o->lead_ms / 1000), (long long)(p->switch_sustain_ms / 1000),
                        pc, pm);
    case COORD_R_AUTO_OUTRUN:
        return snprintf(buf, cap,
                        "Auto: %s: an HPA on memory would have let %d pod-sample%s pass the "
                        "memory request in the last %llds (budget %d); the vertical scaler "
                        "sizes memory (p%.0f usage/request cpu %.3f, memory %.3f)",
                        o->changed ? "memory taken back from the horizontal scaler"
                                   : "cpu stays, memory leads",
                        o->outruns, o->outruns == 1 ? "" : "s", (long long)(p->window_ms / 1000),
                        p->memory_outrun_budget, pct, pc, pm);
    case COORD_R_RELEASED:
        /* Say which condition released it: the whole target with an oversized
         * request, else half of it. */
        if (o->oversized)
            return snprintf(buf, cap,
                            "%s released to the vertical scaler: the HPA has run at minReplicas "
                            "(%d) for %llds, at the reference request and %d%% utilization the "
                            "load needs %d pod%s, and the vertical scaler would lower the "
                            "reference request",
                            coord_resource_name((enum coord_resource)o->released), o->min_replicas,
                            (long long)(o->idle_ms / 1000), o->target_utilization, o->needed,
                            o->needed == 1 ? "" : "s");
        return snprintf(buf, cap,
                        "%s released to the vertical scaler: the HPA has run at minReplicas (%d) "
                        "for %llds, and at the reference request the load fits them at half its "
                        "%d%% target",
                        coord_resource_name((enum coord_resource)o->released), o->min_replicas,
                        (long long)(o->idle_ms / 1000), o->target_utilization);
    case COORD_R_TAKEN_BACK:
        if (o->released != b)
            return snprintf(buf, cap,
                            "%s back to the horizontal scaler: Auto chose it while %s was "
                            "released",
                            coord_resource_name((enum coord_resource)b),
                            coord_resource_name((enum coord_resource)o->released));
        if (o->needed <= o->min_replicas && b == COORD_MEMORY && !o->oversized)
            return snprintf(buf, cap,
                            "%s back to the horizontal scaler: the vertical scaler would keep "
                            "the reference request now",
                            coord_resource_name((enum coord_resource)b));
        if (o->needed <= o->min_replicas)
            return snprintf(buf, cap,
                            "%s back to the horizontal scaler: no release can hold (no pods "
                            "observed, or no vertical scaler for it)",
                            coord_resource_name((enum coord_resource)b));
        return snprintf(buf, cap,
                        "%s back to the horizontal scaler: at the reference request and %d%% "
                        "utilization the load needs %d pods, more than minReplicas (%d)",
                        coord_resource_name((enum coord_resource)b), o->target_utilization,
                        o->needed, o->min_replicas);
    case COORD_R_AUTO_SWITCH:
        return snprintf(buf, cap,
                        "Auto: bottleneck %s -> %s: p%.0f usage/request cpu %.3f, memory %.3f, "
                        "lead over %.0f%% sustained %llds",
                        coord_resource_name((enum coord_resource)o->previous),
                        coord_resource_name((enum coord_resource)b), pct, pc, pm,
                        p->switch_margin * 100, (long long)(p->switch_sustain_ms / 1000));
    }
    return snprintf(buf, cap, "?");
}
