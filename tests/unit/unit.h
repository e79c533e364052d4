/* Suites of the one-process unit test program. */
#ifndef TG_UNIT_H
#define TG_UNIT_H

void unit_register_rank(void);
void unit_register_shard(void);
void unit_register_shard_shape(void);
void unit_register_format(void);
void unit_register_route(void);
void unit_register_traffic(void);
void unit_register_window(void);
void unit_register_plan(void);
void unit_register_gemm(void);
void unit_register_ttnn_conv2d(void);
void unit_register_timeline(void);
void unit_register_kill(void);

#endif
