#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sqlite3.h>
#include <uv.h>
#include <yaml.h>

#include "cmd.h"

#ifndef PS_VERSION
#define PS_VERSION "unknown"
#endif

static const char help[] =
    "Usage: podscaler version\n"
    "\n"
    "Prints podscaler's version and the versions of the libraries it runs on.\n";

int cmd_version(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(help, stdout);
        return PS_EXIT_OK;
    }
    if (argc > 1)
        return cmd_usage_error("version", "unexpected argument '%s'", argv[1]);
    printf("podscaler %s\n", PS_VERSION);
    printf("  libcurl %s, jansson %s, sqlite %s, libuv %s, libyaml %s, libmicrohttpd %s\n",
           curl_version_info(CURLVERSION_NOW)->version, jansson_version_str(), sqlite3_libversion(),
           uv_version_string(), yaml_get_version_string(), MHD_get_version());
    return PS_EXIT_OK;
}
