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

/* Matches argv[*i] as "NAME VALUE" or "NAME=VALUE": 0 when it is another
 * argument; else 1 with *out set and *i past the value, or a usage error
 * printed and PS_EXIT_USAGE (as a negative number) when the value is missing
 * or *out was set by an earlier flag: a flag given twice is a mistake, not a
 * choice of the last one. */
int cmd_flag_value(const char *sub, int argc, char **argv, int *i, const char *name,
                   const char **out);

/* True when argv holds -h or --help before any "--". */
int cmd_wants_help(int argc, char **argv);

/* For subcommands whose implementation has not landed: prints their help when
 * asked, otherwise says it is not built and returns PS_EXIT_USAGE. */
int cmd_not_built(const char *sub, const char *help, int argc, char **argv);

#endif
