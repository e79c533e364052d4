/* Element-wise binary ops on the grid (DESIGN.md section 7): the residual add of
 * ResNet with its fused ReLU. */
#ifndef TG_ELTWISE_H
#define TG_ELTWISE_H

#include "tensor.h"

/* a = a + b, then ReLU when `relu`, rounded to a's format. a and b have the same
 * shape and format; when b is placed or sharded differently it is first moved to
 * a's placement and spec through the NoC (its traffic counted). Collective. */
tg_status tg_add_inplace(tg_tensor *a, const tg_tensor *b, bool relu);

#endif
