#include "cmd.h"

static const char help[] =
    "Usage: podscaler record --db FILE [flags]\n"
    "\n"
    "Polls a live cluster's metrics API, pods and deployments into a history database,\n"
    "acting on nothing, for a later replay or report.\n"
    "\n"
    "Flags:\n"
    "  --db FILE           history database to write (required)\n"
    "  --kubeconfig FILE   kubeconfig to use\n"
    "  --context NAME      kubeconfig context\n"
    "  --namespace NS      namespace to record (default: the context's)\n"
    "  --all-namespaces    record every namespace\n"
    "  --interval DUR      poll interval (default 15s)\n"
    "  --duration DUR      stop after DUR (default: until SIGINT/SIGTERM)\n"
    "  -h, --help          show this help\n";

int cmd_record(int argc, char **argv)
{
    return cmd_not_built("record", help, argc, argv);
}
