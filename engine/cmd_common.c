#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

int cmd_usage_error(const char *sub, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "podscaler %s: ", sub);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'podscaler %s --help')\n", sub);
    return PS_EXIT_USAGE;
}

int cmd_flag_value(const char *sub, int argc, char **argv, int *i, const char *name,
                   const char **out)
{
    const size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0 || (a[n] != '=' && a[n] != '\0'))
        return 0;
    const char *v = a[n] == '=' ? a + n + 1 : NULL;
    if (!v) {
        if (*i + 1 >= argc)
            return -cmd_usage_error(sub, "%s needs a value", name);
        v = argv[++*i];
    }
    if (*out)
        return -cmd_usage_error(sub, "%s is given twice ('%s' and '%s')", name, *out, v);
    *out = v;
    return 1;
}

int cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int cmd_not_built(const char *sub, const char *help, int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(help, stdout);
        printf("\nNote: 'podscaler %s' is not built in this version yet.\n", sub);
        return PS_EXIT_OK;
    }
    fprintf(stderr, "podscaler %s: not built in this version yet; nothing was done\n", sub);
    return PS_EXIT_USAGE;
}
