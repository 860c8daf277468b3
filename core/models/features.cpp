#include "models/features.h"

#include <torch/torch.h>

#include <iterator>
#include <stdexcept>

#include "models/cnn.h"
#include "models/mlp.h"
#include "models/moe_mlp.h"
#include "models/vit.h"

namespace slimlab {

torch::Tensor forward_with_features(torch::nn::Module& model, const torch::Tensor& x,
                                    torch::Tensor& penultimate) {
  if (auto* mlp = dynamic_cast<MlpImpl*>(&model)) {
    // Every module of the Sequential but its last (the output Linear).
    auto h = x.flatten(1);
    auto last = std::prev(mlp->layers->end());
    for (auto it = mlp->layers->begin(); it != last; ++it) h = it->forward(h);
    penultimate = h;
    return last->forward(h);
  }
  if (auto* cnn = dynamic_cast<CnnImpl*>(&model)) {
    auto h = activate(cnn->fc->forward(cnn->features->forward(x).flatten(1)),
                      cnn->options.activation());
    for (auto& block : cnn->head_moe) h = h + block->forward(h);
    penultimate = h;
    if (cnn->options.dropout() > 0) h = cnn->dropout->forward(h);
    return cnn->out->forward(h);
  }
  if (auto* moe = dynamic_cast<MoeMlpImpl*>(&model)) {
    auto h = activate(moe->input->forward(x.flatten(1)), moe->options.activation());
    for (auto& block : moe->blocks) {
      h = h + block->forward(h);
      if (moe->options.dropout() > 0) h = moe->dropout->forward(h);
    }
    penultimate = h;
    return moe->head->forward(h);
  }
  if (auto* vit = dynamic_cast<VitImpl*>(&model)) {
    auto tokens = vit->patch_embed->forward(x).flatten(2).transpose(1, 2);
    auto cls = vit->cls_token.expand({x.size(0), 1, vit->options.dim()});
    auto h = torch::cat({cls, tokens}, 1) + vit->pos_embed;
    for (const auto& block : *vit->blocks) h = block->as<VitBlock>()->forward(h);
    penultimate = vit->norm->forward(h.select(1, 0));
    return vit->head->forward(penultimate);
  }
  throw std::invalid_argument("feature hints need a SlimLab model (mlp, cnn, moe-mlp, vit)");
}

}  // namespace slimlab
