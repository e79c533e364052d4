/* The one-process unit tests (DESIGN.md section 12). */
#include "tg_test.h"
#include "unit.h"

static void register_all(void) {
    unit_register_rank();
    unit_register_shard();
    unit_register_shard_shape();
    unit_register_format();
    unit_register_route();
    unit_register_traffic();
    unit_register_window();
    unit_register_plan();
    unit_register_gemm();
    unit_register_ttnn_conv2d();
    unit_register_timeline();
    unit_register_kill();
}

int main(int argc, char **argv) {
    return tg_test_main(argc, argv, register_all, false);
}
