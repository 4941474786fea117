#include <stddef.h>
#include <stdint.h>
#include "podscaler/quantity.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    quantity q;
    (void)quantity_parse((const char *)data, size, &q);
    return 0;
}
