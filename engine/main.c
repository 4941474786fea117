/*
 * podscaler - horizontal and vertical pod autoscaler engine.
 *
 * main() only dispatches to a subcommand; each lives in engine/cmd_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"controller", cmd_controller, "run in the cluster: decide and apply replicas and requests"},
    {"report", cmd_report, "recommendations for a cluster, applied to nothing"},
    {"replay", cmd_replay, "what-if: replay recorded metrics through policies side by side"},
    {"record", cmd_record, "poll a live cluster into a history database"},
    {"version", cmd_version, "print the version"},
    {"help", NULL, "show this help, or a subcommand's: podscaler help SUBCOMMAND"},
};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void print_help(FILE *out)
{
    fputs("Usage: podscaler SUBCOMMAND [flags]\n"
          "\n"
          "Horizontal and vertical pod autoscaling for Kubernetes without the HPA/VPA fight:\n"
          "the horizontal scaler owns the bottleneck resource, the vertical one the others.\n"
          "\n"
          "Subcommands:\n",
          out);
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(out, "  %-11s %s\n", subcommands[i].name, subcommands[i].summary);
    fputs("\nRun 'podscaler SUBCOMMAND --help' for its flags.\n", out);
}

static const struct subcommand *find(const char *name)
{
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        if (strcmp(subcommands[i].name, name) == 0)
            return &subcommands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return PS_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        print_help(stdout);
        return PS_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
        return cmd_version(1, argv + 1);
    if (strcmp(name, "help") == 0) {
        if (argc > 3) {
            fprintf(stderr, "podscaler help: one SUBCOMMAND at most (see 'podscaler --help')\n");
            return PS_EXIT_USAGE;
        }
        if (argc == 2 || strcmp(argv[2], "help") == 0) {
            print_help(stdout);
            return PS_EXIT_OK;
        }
        const struct subcommand *sub = find(argv[2]);
        if (!sub || !sub->run) {
            fprintf(stderr, "podscaler help: unknown subcommand '%s' (see 'podscaler --help')\n",
                    argv[2]);
            return PS_EXIT_USAGE;
        }
        char help_flag[] = "--help";
        char *sub_argv[] = {argv[2], help_flag, NULL};
        return sub->run(2, sub_argv);
    }
    const struct subcommand *sub = find(name);
    if (!sub) {
        fprintf(stderr, "podscaler: unknown subcommand '%s' (see 'podscaler --help')\n", name);
        return PS_EXIT_USAGE;
    }
    return sub->run(argc - 1, argv + 1);
}
