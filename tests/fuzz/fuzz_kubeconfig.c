/*
 * fuzz_kubeconfig.c - libFuzzer target for kubeconfig parsing (common/kube:
 * YAML → JSON, merging, field validation, exec blocks, base64 data), and for
 * the two other outside texts the client decodes: exec plugin output
 * (ExecCredential) and Status bodies.
 *
 * Besides "never crash": a failure always leaves a message (it names the file
 * and field), and an accepted config has a server, a namespace, and a deep
 * copy equal in its key fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void one(const uint8_t *data, size_t size, const char *context)
{
    struct kube_config cfg;
    char err[512];
    err[0] = '\0';
    int rc = kube_config_load_buffer("fuzz.yaml", "/fuzz", (const char *)data, size, context, &cfg,
                                     err, sizeof err);
    if (rc) {
        CHECK(rc < 0);
        CHECK(err[0] != '\0');
        CHECK(cfg.server == NULL); /* nothing half-built is left behind */
        return;
    }
    CHECK(cfg.server &&
          (strncmp(cfg.server, "http://", 7) == 0 || strncmp(cfg.server, "https://", 8) == 0));
    CHECK(cfg.namespace && cfg.namespace[0]);
    CHECK(cfg.context && cfg.cluster_name);
    if (cfg.exec) {
        CHECK(cfg.exec->command && cfg.exec->api_version);
        for (size_t i = 0; i < cfg.exec->nargs; i++)
            CHECK(cfg.exec->args[i]);
    }
    kube_config_fini(&cfg);
}

/* The other texts the client decodes from outside: exec plugin output and Status bodies. */
static void others(const uint8_t *data, size_t size)
{
    struct kube_exec_credential cred;
    char err[512];
    err[0] = '\0';
    int rc = kube_exec_parse("client.authentication.k8s.io/v1", (const char *)data, size, &cred,
                             err, sizeof err);
    if (rc == 0) {
        CHECK(cred.token || (cred.client_cert_pem && cred.client_key_pem));
        kube_exec_credential_fini(&cred);
    } else {
        CHECK(err[0] != '\0');
        CHECK(cred.token == NULL && cred.client_cert_pem == NULL);
    }
    struct kube_status st;
    rc = kube_status_decode((const char *)data, size, &st);
    CHECK(st.reason && st.message && st.continue_token); /* never NULL, even on failure */
    CHECK(rc == 0 || !st.present);
    kube_status_fini(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size, NULL);
    /* The same document with a context chosen by name, as --context does. */
    one(data, size, "x");
    others(data, size);
    return 0;
}
