/*
 * Unit tests of common/kube without a server: kubeconfig loading and merging,
 * in-cluster configuration, exec credential parsing, Status decoding, backoff,
 * RFC 3339 and base64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube_int.h"
#include "podscaler/clock.h"

static char tmpdir[256];

static void write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *tpath(const char *rel)
{
    static char bufs[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(bufs[i], sizeof bufs[i], "%s/%s", tmpdir, rel);
    return bufs[i];
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kubecfg-test-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    mkdir(sub, 0700);
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char file_a[] = "apiVersion: v1\n"
                             "kind: Config\n"
                             "clusters:\n"
                             "- name: shared\n"
                             "  cluster:\n"
                             "    server: https://a.example:6443/\n"
                             "    certificate-authority: ca.crt\n"
                             "- name: only-a\n"
                             "  cluster:\n"
                             "    server: https://only-a.example\n"
                             "    insecure-skip-tls-verify: true\n"
                             "users:\n"
                             "- name: alice\n"
                             "  user:\n"
                             "    token: token-a\n"
                             "contexts:\n"
                             "- name: ctx-a\n"
                             "  context: {cluster: shared, user: alice, namespace: shop}\n";

static const char file_b[] = "current-context: ctx-b\n"
                             "clusters:\n"
                             "- name: shared\n"
                             "  cluster:\n"
                             "    server: https://b.example\n"
                             "users:\n"
                             "- name: alice\n"
                             "  user: {token: token-b}\n"
                             "- name: bob\n"
                             "  user:\n"
                             "    client-certificate: certs/bob.crt\n"
                             "    client-key: /abs/bob.key\n"
                             "    tokenFile: tok\n"
                             "contexts:\n"
                             "- name: ctx-b\n"
                             "  context: {cluster: shared, user: bob}\n"
                             "- name: ctx-a\n"
                             "  context: {cluster: only-a, user: bob}\n";

static const char file_c[] = "current-context: ctx-a\n";

static void test_merge_first_wins(void **state)
{
    (void)state;
    write_file("a.yaml", file_a);
    write_file("sub/b.yaml", file_b);
    write_file("c.yaml", file_c);
    struct kube_config cfg;
    char err[512];
    char env[1024];
    /* a has no current-context, b's is used; the duplicate b path and the missing file are skipped.
     */
    snprintf(env, sizeof env, "%s:%s:%s:%s", tpath("a.yaml"), tpath("missing.yaml"),
             tpath("sub/b.yaml"), tpath("sub/b.yaml"));
    struct kube_load_opts o = {
        .kubeconfig_env = env, .no_in_cluster = true, .home = "/nonexistent"};
    int rc = kube_config_load(&o, &cfg, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg.context, "ctx-b");
    assert_string_equal(cfg.user_name, "bob");
    /* cluster "shared" comes whole from a, the first file that names it */
    assert_string_equal(cfg.server, "https://a.example:6443");
    assert_string_equal(cfg.ca_file, tpath("ca.crt"));
    assert_string_equal(cfg.namespace, "default");
    /* bob's relative paths resolve against b's folder; absolute ones stay */
    char want[600];
    snprintf(want, sizeof want, "%s/sub/certs/bob.crt", tmpdir);
    assert_string_equal(cfg.client_cert_file, want);
    assert_string_equal(cfg.client_key_file, "/abs/bob.key");
    snprintf(want, sizeof want, "%s/sub/tok", tmpdir);
    assert_string_equal(cfg.token_file, want);
    assert_null(cfg.token);
    assert_true(strstr(cfg.source, "a.yaml") != NULL);
    kube_config_fini(&cfg);

    /* context ctx-a: a's definition wins over b's (which points at only-a) */
    o.context = "ctx-a";
    rc = kube_config_load(&o, &cfg, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg.cluster_name, "shared");
    assert_string_equal(cfg.token, "token-a"); /* alice from a, not b */
    assert_string_equal(cfg.namespace, "shop");
    kube_config_fini(&cfg);

    /* current-context from the first file that sets it: c before b */
    snprintf(env, sizeof env, "%s:%s:%s", tpath("c.yaml"), tpath("sub/b.yaml"), tpath("a.yaml"));
    o.context = NULL;
    rc = kube_config_load(&o, &cfg, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg.context, "ctx-a");
    assert_string_equal(cfg.cluster_name, "only-a"); /* b's ctx-a now comes first */
    assert_true(cfg.insecure_skip_tls_verify);
    assert_string_equal(cfg.server, "https://only-a.example");
    kube_config_fini(&cfg);
}

static void test_explicit_and_home(void **state)
{
    (void)state;
    write_file("a.yaml", file_a);
    struct kube_config cfg;
    char err[512];
    /* --kubeconfig: only that file; it has no current-context */
    struct kube_load_opts o = {.kubeconfig = tpath("a.yaml"), .no_in_cluster = true};
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), KUBE_ECONFIG);
    assert_non_null(strstr(err, "no current-context"));
    assert_non_null(strstr(err, "a.yaml"));
    o.context = "ctx-a";
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), 0);
    kube_config_fini(&cfg);
    /* --kubeconfig that does not exist */
    o.kubeconfig = tpath("nope.yaml");
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), PS_ENOENT);
    assert_non_null(strstr(err, "nope.yaml"));
    /* unknown context named by --context */
    o.kubeconfig = tpath("a.yaml");
    o.context = "ctx-zzz";
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), KUBE_ECONFIG);
    assert_non_null(strstr(err, "\"ctx-zzz\" not found"));

    /* KUBECONFIG listing only missing files is an error naming them: as kubectl, no
     * fall back to $HOME/.kube/config, another cluster */
    char home[400], kdir[420];
    snprintf(home, sizeof home, "%s/home", tmpdir);
    mkdir(home, 0700);
    snprintf(kdir, sizeof kdir, "%s/.kube", home);
    mkdir(kdir, 0700);
    write_file("home/.kube/config", file_b);
    struct kube_load_opts h = {
        .kubeconfig_env = "/none/1:/none/2", .home = home, .no_in_cluster = true};
    assert_int_equal(kube_config_load(&h, &cfg, err, sizeof err), PS_ENOENT);
    assert_string_equal(err, "KUBECONFIG=/none/1:/none/2: none of its files exists");
    /* without KUBECONFIG, $HOME/.kube/config */
    h.kubeconfig_env = "";
    assert_int_equal(kube_config_load(&h, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.server, "https://b.example");
    kube_config_fini(&cfg);
    write_file("home/.kube/config", "current-context: x\nclusters:\n- name: c\n  cluster: {server: "
                                    "'http://127.0.0.1:1'}\ncontexts:\n- name: x\n  context: "
                                    "{cluster: c}\n");
    assert_int_equal(kube_config_load(&h, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.server, "http://127.0.0.1:1");
    assert_null(cfg.user_name);
    kube_config_fini(&cfg);
    /* nothing anywhere */
    struct kube_load_opts none = {
        .kubeconfig_env = "", .home = "/nonexistent", .no_in_cluster = true};
    assert_int_equal(kube_config_load(&none, &cfg, err, sizeof err), KUBE_ECONFIG);
    assert_non_null(strstr(err, "no kubeconfig"));
}

static int load_text(const char *text, const char *ctx, struct kube_config *cfg, char *err,
                     size_t errlen)
{
    return kube_config_load_buffer("/cfg/test.yaml", "/cfg", text, strlen(text), ctx, cfg, err,
                                   errlen);
}

static void expect_error(const char *text, int want_rc, const char *fragment)
{
    struct kube_config cfg;
    char err[512] = "";
    int rc = load_text(text, NULL, &cfg, err, sizeof err);
    if (rc != want_rc || !strstr(err, fragment)) {
        print_error("config:\n%s\nwant rc %d with \"%s\", got rc %d: %s\n", text, want_rc, fragment,
                    rc, err);
        fail();
    }
    assert_non_null(strstr(err, "/cfg/test.yaml"));
}

#define HEAD    "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
#define CLUSTER "clusters:\n- name: c\n  cluster: {server: 'https://k.example'}\n"

static void test_errors_name_file_and_field(void **state)
{
    (void)state;
    expect_error("current-context: x\n", KUBE_ECONFIG, "context \"x\" not found");
    expect_error(HEAD, KUBE_ECONFIG, "contexts[x].context.cluster: cluster \"c\" not found");
    expect_error(HEAD CLUSTER, KUBE_ECONFIG, "contexts[x].context.user: user \"u\" not found");
    expect_error(HEAD "clusters:\n- name: c\n  cluster: {insecure-skip-tls-verify: true}\n"
                      "users:\n- name: u\n  user: {}\n",
                 KUBE_ECONFIG, "clusters[c].cluster.server: missing");
    expect_error(HEAD "clusters:\n- name: c\n  cluster: {server: ftp://x}\nusers:\n- name: u\n  "
                      "user: {}\n",
                 KUBE_ECONFIG, "not an http(s) URL");
    expect_error(HEAD "clusters:\n- name: c\n  cluster: {server: 'https://'}\nusers:\n- name: u\n  "
                      "user: {}\n",
                 KUBE_ECONFIG, "not an http(s) URL");
    expect_error(HEAD CLUSTER "users:\n- user: {}\n", KUBE_ECONFIG, "users[0].name: missing");
    /* a name given twice in one file */
    expect_error(HEAD CLUSTER "- name: c\n  cluster: {server: 'https://other'}\nusers:\n- name: "
                              "u\n  user: {}\n",
                 KUBE_ECONFIG, "clusters[1].name: \"c\" is also the name of clusters[0]");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {token: a}\n- name: v\n  user: {}\n- "
                              "name: u\n  user: {token: b}\n",
                 KUBE_ECONFIG, "users[2].name: \"u\" is also the name of users[0]");
    expect_error("current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n- name: x\n  "
                 "context: {cluster: c}\n" CLUSTER,
                 KUBE_ECONFIG, "contexts[1].name: \"x\" is also the name of contexts[0]");
    expect_error(HEAD CLUSTER "users: {a: b}\n", KUBE_ECONFIG, "users: not a list");
    expect_error(HEAD "clusters:\n- name: c\n  cluster: {server: 'https://k', "
                      "certificate-authority-data: '!!notbase64'}\nusers:\n- name: u\n  user: {}\n",
                 KUBE_ECONFIG, "certificate-authority-data: not valid base64");
    expect_error(HEAD "clusters:\n- name: c\n  cluster: {server: 'https://k', "
                      "insecure-skip-tls-verify: maybe}\nusers:\n- name: u\n  user: {}\n",
                 KUBE_ECONFIG, "insecure-skip-tls-verify: \"maybe\" is not a boolean");
    expect_error(HEAD "clusters:\n- name: c\n  cluster: {server: 'https://k', "
                      "insecure-skip-tls-verify: true, certificate-authority: ca.crt}\n"
                      "users:\n- name: u\n  user: {}\n",
                 KUBE_ECONFIG,
                 "clusters[c].cluster: insecure-skip-tls-verify together with "
                 "certificate-authority: a root certificate with the insecure flag is not allowed");
    expect_error(HEAD "clusters:\n- name: c\n  cluster: {server: 'https://k', "
                      "insecure-skip-tls-verify: 'yes', certificate-authority-data: 'LS0tCg=='}\n"
                      "users:\n- name: u\n  user: {}\n",
                 KUBE_ECONFIG,
                 "clusters[c].cluster: insecure-skip-tls-verify together with "
                 "certificate-authority-data");
    static const char *const bad_proxies[] = {"socks4://p:1080", "ftp://p", "p:3128", "http://",
                                              "https:///x"};
    for (size_t i = 0; i < sizeof bad_proxies / sizeof bad_proxies[0]; i++) {
        char text[512], want[256];
        snprintf(text, sizeof text,
                 HEAD "clusters:\n- name: c\n  cluster: {server: 'https://k', proxy-url: '%s'}\n"
                      "users:\n- name: u\n  user: {}\n",
                 bad_proxies[i]);
        snprintf(
            want, sizeof want,
            "clusters[c].cluster.proxy-url: \"%s\" is not an http://, https:// or socks5:// URL",
            bad_proxies[i]);
        expect_error(text, KUBE_ECONFIG, want);
    }
    {
        struct kube_config cfg;
        char err[512];
        /* the three schemes client-go takes, in any case; an empty one is no proxy */
        static const char *const good_proxies[] = {"http://p:3128", "HTTPS://p", "socks5://p:1080",
                                                   ""};
        for (size_t i = 0; i < sizeof good_proxies / sizeof good_proxies[0]; i++) {
            char t2[512];
            snprintf(t2, sizeof t2,
                     HEAD
                     "clusters:\n- name: c\n  cluster: {server: 'https://k', proxy-url: '%s'}\n"
                     "users:\n- name: u\n  user: {}\n",
                     good_proxies[i]);
            assert_int_equal(load_text(t2, NULL, &cfg, err, sizeof err), 0);
            if (*good_proxies[i])
                assert_string_equal(cfg.proxy_url, good_proxies[i]);
            else
                assert_null(cfg.proxy_url);
            kube_config_fini(&cfg);
        }
    }
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {token: [a, b]}\n", KUBE_ECONFIG,
                 "users[u].user.token: not a string");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {client-certificate: a.crt}\n",
                 KUBE_ECONFIG, "client-certificate without client-key");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    exec: {apiVersion: "
                              "client.authentication.k8s.io/v1beta1}\n",
                 KUBE_ECONFIG, "users[u].user.exec.command: missing");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    exec: {command: aws}\n",
                 KUBE_ECONFIG, "exec.apiVersion: missing");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    exec: {command: aws, apiVersion: "
                              "client.authentication.k8s.io/v1alpha1}\n",
                 KUBE_ECONFIG, "is not supported");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    exec: {command: aws, apiVersion: "
                              "client.authentication.k8s.io/v1}\n",
                 KUBE_ECONFIG, "interactiveMode: required");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    exec: {command: aws, apiVersion: "
                              "client.authentication.k8s.io/v1, interactiveMode: Sometimes}\n",
                 KUBE_ECONFIG, "unknown value \"Sometimes\"");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    exec:\n      command: aws\n      "
                              "apiVersion: client.authentication.k8s.io/v1beta1\n      env:\n    "
                              "  - value: x\n",
                 KUBE_ECONFIG, "exec.env[0].name: missing");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    auth-provider: {name: gcp}\n",
                 PS_ENOTSUP, "\"gcp\" provider is not supported");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    auth-provider: {name: gcp}\n    "
                              "exec: {command: x}\n",
                 KUBE_ECONFIG, "auth-provider and exec cannot both be set");
    /* bad YAML: message says the file and the line */
    expect_error("clusters:\n- name: c\n  cluster: {server: [\n", KUBE_ECONFIG, "invalid YAML");
    expect_error("a: &x 1\nb: *x\n", KUBE_ECONFIG, "aliases are not supported");
    expect_error("- just\n- a list\n", KUBE_ECONFIG, "top level is not a mapping");
    expect_error("a: 1\n---\nb: 2\n", KUBE_ECONFIG, "more than one YAML document");
    {
        struct kube_config cfg;
        char err[256];
        assert_int_equal(
            load_text("clusters:\n- name: c\n  cluster: {server: [\n", NULL, &cfg, err, sizeof err),
            KUBE_ECONFIG);
        assert_non_null(strstr(err, "line "));
    }
}

static void test_exec_and_data_fields(void **state)
{
    (void)state;
    /* "-----BEGIN CERTIFICATE-----\n" base64 */
    const char *text =
        "apiVersion: v1\n"
        "current-context: eks\n"
        "clusters:\n"
        "- name: arn:aws:eks:eu-west-1:1:cluster/prod\n"
        "  cluster:\n"
        "    server: https://ABC.gr7.eu-west-1.eks.amazonaws.com\n"
        "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
        "    tls-server-name: kubernetes.default.svc\n"
        "    proxy-url: socks5://127.0.0.1:1080\n"
        "    extensions:\n"
        "    - name: client.authentication.k8s.io/exec\n"
        "      extension: {audience: snorlax}\n"
        "contexts:\n"
        "- name: eks\n"
        "  context: {cluster: 'arn:aws:eks:eu-west-1:1:cluster/prod', user: eks-user}\n"
        "users:\n"
        "- name: eks-user\n"
        "  user:\n"
        "    exec:\n"
        "      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "      command: aws\n"
        "      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod]\n"
        "      env:\n"
        "      - {name: AWS_PROFILE, value: platform}\n"
        "      - name: EMPTY\n"
        "      provideClusterInfo: true\n"
        "      installHint: install the AWS CLI\n";
    struct kube_config cfg;
    char err[512];
    assert_int_equal(load_text(text, NULL, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.ca_data_len, 28);
    assert_memory_equal(cfg.ca_data, "-----BEGIN CERTIFICATE-----\n", 28);
    assert_string_equal(cfg.tls_server_name, "kubernetes.default.svc");
    assert_string_equal(cfg.proxy_url, "socks5://127.0.0.1:1080");
    assert_non_null(cfg.exec);
    assert_string_equal(cfg.exec->command, "aws"); /* no '/': looked up in PATH */
    assert_int_equal(cfg.exec->nargs, 6);
    assert_string_equal(cfg.exec->args[3], "get-token");
    assert_int_equal(cfg.exec->nenv, 2);
    assert_string_equal(cfg.exec->env_names[0], "AWS_PROFILE");
    assert_string_equal(cfg.exec->env_values[0], "platform");
    assert_string_equal(cfg.exec->env_values[1], "");
    assert_true(cfg.exec->provide_cluster_info);
    assert_int_equal(cfg.exec->interactive, KUBE_EXEC_INTERACTIVE_IF_AVAILABLE);
    assert_string_equal(cfg.exec->cluster_config_json, "{\"audience\":\"snorlax\"}");
    assert_string_equal(cfg.exec->install_hint, "install the AWS CLI");

    struct kube_config copy;
    assert_int_equal(kube_config_copy(&cfg, &copy), 0);
    assert_string_equal(copy.exec->args[5], "prod");
    assert_memory_equal(copy.ca_data, cfg.ca_data, cfg.ca_data_len);
    kube_config_fini(&copy);
    kube_config_fini(&cfg);

    /* exec command with a '/' is relative to the kubeconfig's folder */
    const char *rel = HEAD CLUSTER "users:\n- name: u\n  user:\n    exec: {command: ./bin/plugin, "
                                   "apiVersion: client.authentication.k8s.io/v1, "
                                   "interactiveMode: Never}\n";
    assert_int_equal(load_text(rel, NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.exec->command, "/cfg/bin/plugin");
    assert_int_equal(cfg.exec->interactive, KUBE_EXEC_INTERACTIVE_NEVER);
    kube_config_fini(&cfg);

    /* impersonation */
    const char *imp = HEAD CLUSTER "users:\n- name: u\n  user:\n    token: t\n    as: jane\n    "
                                   "as-uid: '42'\n    as-groups: [dev, ops]\n    as-user-extra: "
                                   "{scopes: [view, edit], reason: [audit]}\n";
    assert_int_equal(load_text(imp, NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.impersonate_user, "jane");
    assert_string_equal(cfg.impersonate_uid, "42");
    assert_int_equal(cfg.nimpersonate_groups, 2);
    assert_string_equal(cfg.impersonate_groups[1], "ops");
    assert_int_equal(cfg.nimpersonate_extra, 3);
    assert_string_equal(cfg.impersonate_extra[0], "scopes");
    assert_string_equal(cfg.impersonate_extra[3], "edit");
    assert_int_equal(kube_config_copy(&cfg, &copy), 0);
    assert_string_equal(copy.impersonate_extra[5], "audit");
    assert_string_equal(copy.impersonate_groups[0], "dev");
    kube_config_fini(&copy);
    kube_config_fini(&cfg);
    /* uid, groups or extra without a user to impersonate */
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {token: t, as-uid: '42'}\n", KUBE_ECONFIG,
                 "users[u].user.as-uid: set without \"as\" (impersonating no user)");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {token: t, as-groups: [dev]}\n",
                 KUBE_ECONFIG, "users[u].user.as-groups: set without \"as\"");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {as: '', as-user-extra: {a: [b]}}\n",
                 KUBE_ECONFIG, "users[u].user.as-user-extra: set without \"as\"");
    /* empty ones are absent ones */
    assert_int_equal(load_text(HEAD CLUSTER "users:\n- name: u\n  user: {as-groups: [], as-uid: "
                                            "'', as-user-extra: {}}\n",
                               NULL, &cfg, err, sizeof err),
                     0);
    kube_config_fini(&cfg);
    /* values that go into HTTP headers: no control character, secrets not shown */
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user:\n    token: |\n      s3cret\n",
                 KUBE_ECONFIG,
                 "users[u].user.token: control character 0x0a at byte 6, which cannot go in an "
                 "HTTP header (a YAML \"|\" block keeps the final newline; \"|-\" drops it)");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {token: \"s3cret\\r\\nX-Evil: 1\"}\n",
                 KUBE_ECONFIG, "users[u].user.token: control character 0x0d at byte 6");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {as: \"jane\\nX: 1\"}\n", KUBE_ECONFIG,
                 "users[u].user.as: control character 0x0a at byte 4");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {as: jane, as-uid: \"4\\t2\"}\n",
                 KUBE_ECONFIG, "users[u].user.as-uid: control character 0x09");
    expect_error(HEAD CLUSTER
                 "users:\n- name: u\n  user: {as: jane, as-groups: [dev, \"o\\rps\"]}\n",
                 KUBE_ECONFIG, "users[u].user.as-groups[1]: control character 0x0d");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {as: jane, as-user-extra: {scopes: "
                              "[view, \"ed\\x7fit\"]}}\n",
                 KUBE_ECONFIG, "users[u].user.as-user-extra.scopes[1]: control character 0x7f");
    assert_int_equal(load_text(HEAD CLUSTER "users:\n- name: u\n  user: {token: \"s3cret\\n\"}\n",
                               NULL, &cfg, err, sizeof err),
                     KUBE_ECONFIG);
    assert_null(strstr(err, "s3cret"));
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {as: x, as-groups: dev}\n", KUBE_ECONFIG,
                 "users[u].user.as-groups: not a list");
    expect_error(HEAD CLUSTER "users:\n- name: u\n  user: {as: x, as-user-extra: {a: [{}]}}\n",
                 KUBE_ECONFIG, "as-user-extra.a: not a list of strings");

    /* JSON is YAML too; an empty file is an empty config */
    const char *json = "{\"current-context\":\"x\",\"contexts\":[{\"name\":\"x\",\"context\":"
                       "{\"cluster\":\"c\"}}],\"clusters\":[{\"name\":\"c\",\"cluster\":{"
                       "\"server\":\"https://j.example\"}}]}";
    assert_int_equal(load_text(json, NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.server, "https://j.example");
    kube_config_fini(&cfg);
    assert_int_equal(load_text("", NULL, &cfg, err, sizeof err), KUBE_ECONFIG);
}

static void test_in_cluster(void **state)
{
    (void)state;
    char sa[400];
    snprintf(sa, sizeof sa, "%s/sa", tmpdir);
    mkdir(sa, 0700);
    struct kube_config cfg;
    char err[512];
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("POD_NAMESPACE");
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(kube_config_load_in_cluster(sa, &cfg, err, sizeof err), KUBE_ENOTINCLUSTER);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    /* no token file yet */
    assert_int_equal(kube_config_load_in_cluster(sa, &cfg, err, sizeof err), PS_EAUTH);
    assert_non_null(strstr(err, "token"));
    write_file("sa/token", "tok-1\n");
    assert_int_equal(kube_config_load_in_cluster(sa, &cfg, err, sizeof err), KUBE_ECONFIG);
    assert_non_null(strstr(err, "ca.crt"));
    write_file("sa/ca.crt", "-----BEGIN CERTIFICATE-----\n");
    assert_int_equal(kube_config_load_in_cluster(sa, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.server, "https://10.96.0.1:443");
    assert_string_equal(cfg.namespace, "default");
    assert_non_null(strstr(cfg.token_file, "sa/token"));
    kube_config_fini(&cfg);
    write_file("sa/namespace", "  shop\n");
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    assert_int_equal(kube_config_load_in_cluster(sa, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.server, "https://[fd00::1]:443");
    assert_string_equal(cfg.namespace, "shop");
    kube_config_fini(&cfg);
    setenv("POD_NAMESPACE", "from-env", 1);
    /* the default loader falls back to in-cluster when no kubeconfig exists */
    struct kube_load_opts o = {.kubeconfig_env = "", .home = "/nonexistent", .sa_dir = sa};
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.namespace, "from-env");
    assert_string_equal(cfg.source, "in-cluster");
    kube_config_fini(&cfg);
    unsetenv("POD_NAMESPACE");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_exec_parse(void **state)
{
    (void)state;
    const char *v1 = "client.authentication.k8s.io/v1";
    struct kube_exec_credential c;
    char err[256];
    const char *ok = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
                     "v1\",\"status\":{\"token\":\"t0k\",\"expirationTimestamp\":\"2026-07-01T10:"
                     "14:00Z\"}}";
    assert_int_equal(kube_exec_parse(v1, ok, strlen(ok), &c, err, sizeof err), 0);
    assert_string_equal(c.token, "t0k");
    assert_int_equal(c.expiry_ms, INT64_C(1782900840000));
    kube_exec_credential_fini(&c);
    struct {
        const char *doc, *msg;
    } bad[] = {
        {"not json", "not JSON"},
        {"{\"status\":{\"token\":\"x\"}}", "apiVersion missing"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"status\":{\"token\":\"x\"}}",
         "does not match"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\"}", "status missing"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":{}}", "neither token"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/"
         "v1\",\"status\":{\"clientKeyData\":\"k\"}}",
         "clientKeyData without"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/"
         "v1\",\"status\":{\"clientCertificateData\":"
         "\"c\",\"clientKeyData\":\"k\"}}",
         "not PEM"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"x\","
         "\"expirationTimestamp\":\"tomorrow\"}}",
         "expirationTimestamp"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":{\"token\":"
         "\"x\\r\\nX-Evil: 1\"}}",
         "status.token: control character 0x0d at byte 1"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/"
         "v1\",\"status\":{\"token\":\"x\\u001by\"}}",
         "status.token: control character 0x1b at byte 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = kube_exec_parse(v1, bad[i].doc, strlen(bad[i].doc), &c, err, sizeof err);
        if (rc != KUBE_EEXEC || !strstr(err, bad[i].msg)) {
            print_error("case %zu: want \"%s\", got %d \"%s\"\n", i, bad[i].msg, rc, err);
            fail();
        }
    }
}

static void test_exec_interactive_always(void **state)
{
    (void)state;
    char cmd[] = "true";
    char api[] = "client.authentication.k8s.io/v1";
    struct kube_exec_config e = {
        .api_version = api, .command = cmd, .interactive = KUBE_EXEC_INTERACTIVE_ALWAYS};
    struct kube_exec_credential c;
    char err[256];
    assert_int_equal(kube_exec_run(&e, NULL, 1000, -1, &c, err, sizeof err), KUBE_EEXEC);
    assert_non_null(strstr(err, "needs a terminal"));
    /* a plugin that prints nothing: a clear error, not a crash */
    e.interactive = KUBE_EXEC_INTERACTIVE_NEVER;
    assert_int_equal(kube_exec_run(&e, NULL, 5000, -1, &c, err, sizeof err), KUBE_EEXEC);
    assert_non_null(strstr(err, "exec plugin true: output is not JSON"));
}

/* Runs `sh -c script` as a v1 plugin, watching cancel_fd (-1: none). */
static int run_sh_plugin_cancel(const char *script, int64_t timeout_ms, int cancel_fd,
                                struct kube_exec_credential *c, char *err, size_t errlen)
{
    char cmd[] = "/bin/sh", a0[] = "-c", api[] = "client.authentication.k8s.io/v1";
    char *sc = strdup(script);
    assert_non_null(sc);
    char *args[] = {a0, sc};
    struct kube_exec_config e = {.api_version = api,
                                 .command = cmd,
                                 .args = args,
                                 .nargs = 2,
                                 .interactive = KUBE_EXEC_INTERACTIVE_NEVER};
    int rc = kube_exec_run(&e, NULL, timeout_ms, cancel_fd, c, err, errlen);
    free(sc);
    return rc;
}

static int run_sh_plugin(const char *script, int64_t timeout_ms, struct kube_exec_credential *c,
                         char *err, size_t errlen)
{
    return run_sh_plugin_cancel(script, timeout_ms, -1, c, err, errlen);
}

#define V1_CRED(tok)                                                                               \
    "printf "                                                                                      \
    "'{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"%s\"}}' " tok

/* A stopping process does not wait for its plugin: once the cancel fd is
 * readable (a signal wrote to it) the run ends, whether the plugin is still
 * talking or has closed its output and lingers. */
static void test_exec_cancel(void **state)
{
    (void)state;
    struct kube_exec_credential c;
    char err[256] = "";
    const char *scripts[] = {"exec sleep 10", V1_CRED("t") "; exec >&- 2>&-; exec sleep 10"};
    for (size_t i = 0; i < 2; i++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        assert_int_equal(write(p[1], "x", 1), 1);
        int64_t t0 = ps_clock_mono_ms();
        int rc = run_sh_plugin_cancel(scripts[i], 8000, p[0], &c, err, sizeof err);
        int64_t took = ps_clock_mono_ms() - t0;
        if (rc != KUBE_ECANCELED || took > 2000) {
            print_error("case %zu: rc %d after %lld ms: %s\n", i, rc, (long long)took, err);
            fail();
        }
        assert_non_null(strstr(err, "abandoned, the process is stopping"));
        char b;
        assert_int_equal(read(p[0], &b, 1), 1); /* left for the program to read */
        close(p[0]);
        close(p[1]);
    }
}

static void test_exec_lingering_plugin(void **state)
{
    (void)state;
    struct kube_exec_credential c;
    char err[256] = "";
    /* prints its credential, closes its output and stays: the timeout still holds */
    int64_t t0 = ps_clock_mono_ms();
    int rc = run_sh_plugin(V1_CRED("t") "; exec >&- 2>&-; exec sleep 10", 300, &c, err, sizeof err);
    int64_t took = ps_clock_mono_ms() - t0;
    if (rc != PS_ETIMEDOUT || took > 3000) {
        print_error("rc %d after %lld ms: %s\n", rc, (long long)took, err);
        fail();
    }
    assert_non_null(strstr(err, "did not exit within 300 ms"));
    /* one that exits as it closes its output is not held up */
    assert_int_equal(run_sh_plugin(V1_CRED("t"), 5000, &c, err, sizeof err), 0);
    assert_string_equal(c.token, "t");
    kube_exec_credential_fini(&c);
}

static void test_exec_inherits_no_fds(void **state)
{
    (void)state;
    /* a descriptor without close-on-exec, as libcurl's sockets are */
    int leak[2];
    assert_int_equal(pipe(leak), 0);
    struct kube_exec_credential c;
    char err[256] = "";
    int rc =
        run_sh_plugin("i=3; while [ $i -lt 1024 ]; do if [ -e /proc/$$/fd/$i ]; then "
                      "echo \"fd $i is open\" >&2; exit 9; fi; i=$((i+1)); done; " V1_CRED("clean"),
                      5000, &c, err, sizeof err);
    close(leak[0]);
    close(leak[1]);
    if (rc != 0) {
        print_error("rc %d: %s\n", rc, err);
        fail();
    }
    assert_string_equal(c.token, "clean");
    kube_exec_credential_fini(&c);
}

static void test_status_decode(void **state)
{
    (void)state;
    const char *body =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{\"continue\":\"abc\"},\"status\":"
        "\"Failure\",\"message\":\"pods \\\"y\\\" not found\",\"reason\":\"NotFound\",\"details\":"
        "{\"name\":\"y\",\"kind\":\"pods\",\"retryAfterSeconds\":3,\"causes\":[{\"reason\":"
        "\"FieldValueInvalid\",\"message\":\"bad\",\"field\":\"spec.x\"}]},\"code\":404}";
    struct kube_status st;
    assert_int_equal(kube_status_decode(body, strlen(body), &st), 0);
    assert_true(st.present);
    assert_string_equal(st.reason, "NotFound");
    assert_string_equal(st.message, "pods \"y\" not found");
    assert_int_equal(st.code, 404);
    assert_string_equal(st.name, "y");
    assert_string_equal(st.kind, "pods");
    assert_string_equal(st.group, "");
    assert_int_equal(st.retry_after_s, 3);
    assert_string_equal(st.continue_token, "abc");
    assert_int_equal(st.ncauses, 1);
    assert_string_equal(st.causes[0].field, "spec.x");
    kube_status_fini(&st);
    const char *plain = "Too many requests, please try again later.\n";
    assert_int_equal(kube_status_decode(plain, strlen(plain), &st), KUBE_EBADRESPONSE);
    assert_false(st.present);
    assert_string_equal(st.reason, "");
    kube_status_fini(&st);
    assert_int_equal(kube_status_decode("{\"kind\":\"Pod\"}", 14, &st), KUBE_EBADRESPONSE);
    kube_status_fini(&st);

    assert_string_equal(kube_reason_for_code(409, "POST"), "AlreadyExists");
    assert_string_equal(kube_reason_for_code(409, "PUT"), "Conflict");
    assert_string_equal(kube_reason_for_code(502, "GET"), "InternalError");
    assert_string_equal(kube_reason_for_code(418, "GET"), "");
    assert_int_equal(kube_error_for_http(200, ""), 0);
    assert_int_equal(kube_error_for_http(404, "NotFound"), PS_ENOENT);
    assert_int_equal(kube_error_for_http(409, "AlreadyExists"), PS_EEXIST);
    assert_int_equal(kube_error_for_http(409, "Conflict"), PS_ECONFLICT);
    assert_int_equal(kube_error_for_http(410, "Expired"), KUBE_EEXPIRED);
    assert_int_equal(kube_error_for_http(503, ""), PS_EUNAVAIL);
    assert_int_equal(kube_error_for_http(401, ""), PS_EAUTH);
    assert_string_equal(kube_strerror(KUBE_ETOOBIG), "response larger than the configured cap");
    assert_string_equal(kube_strerror(PS_EINVAL), ps_strerror(PS_EINVAL));
}

static void test_backoff(void **state)
{
    (void)state;
    /* Retry-After wins, capped */
    assert_int_equal(kube_backoff_ms(1, 200, 30000, 2, 12345), 2000);
    assert_int_equal(kube_backoff_ms(9, 200, 30000, 0, 12345), 0);
    assert_int_equal(kube_backoff_ms(1, 200, 30000, 100000, 1), KUBE_MAX_RETRY_AFTER_S * 1000);
    /* full jitter: uniform in [0, min(max, base*2^(n-1))] */
    assert_int_equal(kube_backoff_ms(1, 200, 30000, -1, 200), 200);
    assert_int_equal(kube_backoff_ms(1, 200, 30000, -1, 201), 0);
    assert_int_equal(kube_backoff_ms(3, 200, 30000, -1, 800), 800);
    assert_int_equal(kube_backoff_ms(3, 200, 30000, -1, 801), 0);
    assert_int_equal(kube_backoff_ms(60, 200, 30000, -1, UINT64_MAX),
                     (int64_t)(UINT64_MAX % 30001));
    for (int a = 1; a < 80; a++)
        for (uint64_t r = 0; r < 5000; r += 37) {
            int64_t d = kube_backoff_ms(a, 200, 30000, -1, r * 7919);
            assert_true(d >= 0 && d <= 30000);
        }
}

static void test_rfc3339_base64(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(kube_parse_rfc3339_ms("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(kube_parse_rfc3339_ms("2026-07-01T09:58:01.123456Z", &ms), 0);
    assert_int_equal(ms, INT64_C(1782899881123));
    assert_int_equal(kube_parse_rfc3339_ms("2026-07-01T11:58:01+02:00", &ms), 0);
    assert_int_equal(ms, INT64_C(1782899881000));
    const char *bad[] = {"",
                         "2026-07-01",
                         "2026-07-01T09:58:01",
                         "2026-13-01T00:00:00Z",
                         "2026-07-01T09:58:01.Z",
                         "2026-07-01T09:58:01Zjunk",
                         "2026-07-01T24:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(kube_parse_rfc3339_ms(bad[i], &ms), PS_EPARSE);

    unsigned char *out;
    size_t n;
    assert_int_equal(kube_base64_decode("aGVs\nbG8=", 9, &out, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    free(out);
    assert_int_equal(kube_base64_decode("aGVsbG8", 7, &out, &n), 0); /* padding optional */
    free(out);
    assert_int_equal(kube_base64_decode("aGV*", 4, &out, &n), PS_EPARSE);
    assert_int_equal(kube_base64_decode("a", 1, &out, &n), PS_EPARSE);
    assert_int_equal(kube_base64_decode("aG=V", 4, &out, &n), PS_EPARSE);
    char *enc = kube_base64_encode((const unsigned char *)"hello", 5);
    assert_string_equal(enc, "aGVsbG8=");
    free(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge_first_wins, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_explicit_and_home, setup_dir, teardown_dir),
        cmocka_unit_test(test_errors_name_file_and_field),
        cmocka_unit_test(test_exec_and_data_fields),
        cmocka_unit_test_setup_teardown(test_in_cluster, setup_dir, teardown_dir),
        cmocka_unit_test(test_exec_parse),
        cmocka_unit_test(test_exec_interactive_always),
        cmocka_unit_test(test_exec_lingering_plugin),
        cmocka_unit_test(test_exec_cancel),
        cmocka_unit_test(test_exec_inherits_no_fds),
        cmocka_unit_test(test_status_decode),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_rfc3339_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
