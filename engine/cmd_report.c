#include "cmd.h"

static const char help[] =
    "Usage: podscaler report [flags]\n"
    "\n"
    "Recommendation only: the controller's decisions for every workload, applied to\n"
    "nothing, with the conflicts found among existing HPA and VPA objects.\n"
    "\n"
    "Flags:\n"
    "  --kubeconfig FILE   kubeconfig to use\n"
    "  --context NAME      kubeconfig context\n"
    "  --db FILE           history database to read\n"
    "  --format FMT        table, json, csv or html (default table)\n"
    "  -o FILE             write the report to FILE instead of stdout\n"
    "  -h, --help          show this help\n";

int cmd_report(int argc, char **argv)
{
    return cmd_not_built("report", help, argc, argv);
}
