#include "cmd.h"

static const char help[] =
    "Usage: podscaler replay INPUT [flags]\n"
    "\n"
    "Re-plays recorded usage (a CSV trace or a history database) through the decision\n"
    "pipeline on a virtual clock and scores each policy side by side.\n"
    "\n"
    "Flags:\n"
    "  --policy NAME|FILE  a built-in policy or a policy file; repeatable\n"
    "  --format FMT        table, json, csv or html (default table)\n"
    "  -o FILE             write the result to FILE instead of stdout\n"
    "  --decisions FILE    write every decision as JSON lines\n"
    "  -h, --help          show this help\n";

int cmd_replay(int argc, char **argv)
{
    return cmd_not_built("replay", help, argc, argv);
}
