/*
 * cmd.h - the podscaler subcommands (engine-private).
 *
 * Each cmd_* takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status: 0 success, 1 failure at run
 * time, 2 usage error (wrong flag or value, or a subcommand not built).
 */
#ifndef PODSCALER_ENGINE_CMD_H
#define PODSCALER_ENGINE_CMD_H

#include <stdio.h>

#define PS_EXIT_OK      0
#define PS_EXIT_FAILURE 1
#define PS_EXIT_USAGE   2

int cmd_controller(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* Prints "podscaler SUB: MESSAGE (see 'podscaler SUB --help')" on stderr and
 * returns PS_EXIT_USAGE, for one-line usage errors. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int cmd_usage_error(const char *sub, const char *fmt, ...);

/* True when argv holds -h or --help before any "--". */
int cmd_wants_help(int argc, char **argv);

/* For subcommands whose implementation has not landed: prints their help when
 * asked, otherwise says it is not built and returns PS_EXIT_USAGE. */
int cmd_not_built(const char *sub, const char *help, int argc, char **argv);

#endif
