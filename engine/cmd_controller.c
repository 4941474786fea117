#include "cmd.h"

static const char help[] =
    "Usage: podscaler controller [flags]\n"
    "\n"
    "Runs in the cluster: polls the metrics API, keeps utilization history in SQLite,\n"
    "decides replicas and container requests for every PodScaler object under the\n"
    "non-conflict rule, and patches Deployments and pods.\n"
    "\n"
    "Flags:\n"
    "  --kubeconfig FILE   kubeconfig to use (default: $KUBECONFIG, ~/.kube/config,\n"
    "                      then the pod's service account)\n"
    "  --context NAME      kubeconfig context\n"
    "  --db FILE           history database\n"
    "  --interval DUR      metrics poll interval (default 15s)\n"
    "  -h, --help          show this help\n";

int cmd_controller(int argc, char **argv)
{
    return cmd_not_built("controller", help, argc, argv);
}
