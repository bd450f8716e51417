// A pipeline stage's or dp replica's own copy of the model, its weights and
// optimizer, for the length of one run (StageCopy), and copyStore, which
// copies a store's weights and buffers into a replica's. Internal to the
// executor.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "nn/model.h"
#include "nn/parameter_store.h"
#include "optim/optimizer.h"
#include "plan/plan.h"

namespace lpm::pipeline_detail {

// Copies `from`'s weights and batch-norm buffers into `to` (a dp replica of
// the same model) on `backend`'s stream: host memory, or one GPU's that
// `backend` can read directly.
void copyStore(Backend& backend, const ParameterStore& from, ParameterStore& to);

// A stage's own model, weights and optimizer, for the length of one run: a
// dp replica's (weights copied from the trainer's, which it can read), or a
// pipeline stage's whose backend computes in another memory than the
// trainer's weights (a GPU other than theirs, even one with peer access, CPU
// cores for weights on a GPU, a GPU for weights on the host). A pipeline
// stage's copy holds its own units only (a store of their range, an
// optimizer of their slice): it starts from the trainer's weights, buffers
// and optimizer state, and copyBack() returns them after the run.
struct StageCopy {
    std::unique_ptr<Model> model; // null: the stage trains the trainer's
    std::unique_ptr<ParameterStore> store;
    std::unique_ptr<Optimizer> optimizer; // null for dp replicas (they update the trainer's weights)

    // `direct`: the backend can read the trainer's weights; otherwise they
    // come through host memory.
    static StageCopy replicaOf(const Model& model, const ParameterStore& store, Backend& backend, bool direct);

    static StageCopy stageOf(const Model& model, const ParameterStore& store, Optimizer& optimizer,
                             const PlannedStage& stage, Backend& backend);

    // Units [first, last] of the model with the trainer's weights and
    // buffers, through host memory, placed in `backend`'s.
    static StageCopy ofUnits(const Model& model, const ParameterStore& store, int first, int last, Backend& backend);

    // Every pipeline stage's copy gives back its own units' weights, buffers
    // and optimizer state (the other stages' slices are the trainer's own).
    static void copyBack(std::vector<StageCopy>& copies, const Partition& stages, ParameterStore& store,
                         Optimizer& optimizer);
};

} // namespace lpm::pipeline_detail
