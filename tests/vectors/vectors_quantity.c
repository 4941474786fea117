#include "vectors.h"
int vectors_run_quantity(json_t *root, struct vec_ctx *ctx) { (void)root; (void)ctx; return -1; }
