#include "pipeline/stage_copy.h"

#include <algorithm>

#include "nn/model_zoo.h"

namespace lpm::pipeline_detail {

void copyStore(Backend& backend, const ParameterStore& from, ParameterStore& to)
{
    backend.copyWithin(to.values(), from.values(), int64_t(sizeof(float)) * to.parameterCount());
    backend.copyWithin(to.buffers(), from.buffers(), int64_t(sizeof(float)) * to.bufferCount());
}

StageCopy StageCopy::replicaOf(const Model& model, const ParameterStore& store, Backend& backend, bool direct)
{
    if (!direct)
        return ofUnits(model, store, 0, model.unitCount() - 1, backend);
    StageCopy copy;
    copy.model = std::make_unique<Model>(buildModel(model.name()));
    copy.store = std::make_unique<ParameterStore>(*copy.model);
    copy.store->placeOn(backend); // (nothing for the host)
    copyStore(backend, store, *copy.store);
    backend.synchronize();
    return copy;
}

StageCopy StageCopy::stageOf(const Model& model, const ParameterStore& store, Optimizer& optimizer,
                             const PlannedStage& stage, Backend& backend)
{
    StageCopy copy = ofUnits(model, store, stage.first, stage.last, backend);
    optimizer.copyStateToHost();
    copy.optimizer = optimizer.unplacedSlice(store.unitParameterOffset(stage.first), copy.store->parameterCount());
    copy.optimizer->placeOn(backend);
    return copy;
}

StageCopy StageCopy::ofUnits(const Model& model, const ParameterStore& store, int first, int last, Backend& backend)
{
    StageCopy copy;
    copy.model = std::make_unique<Model>(buildModel(model.name()));
    copy.store = std::make_unique<ParameterStore>(*copy.model, first, last);
    store.copyToHost(); // the host copies are current (nothing for a store on the host)
    std::copy_n(store.hostValues() + store.unitParameterOffset(first), copy.store->parameterCount(),
                copy.store->hostValues());
    std::copy_n(store.hostBuffers() + store.unitBufferOffset(first), copy.store->bufferCount(),
                copy.store->hostBuffers());
    copy.store->placeOn(backend);
    return copy;
}

void StageCopy::copyBack(std::vector<StageCopy>& copies, const Partition& stages, ParameterStore& store,
                         Optimizer& optimizer)
{
    if (std::none_of(copies.begin(), copies.end(), [](const StageCopy& copy) { return bool(copy.store); }))
        return;
    store.copyToHost();
    optimizer.copyStateToHost();
    for (size_t s = 0; s < copies.size(); ++s) {
        const StageCopy& copy = copies[s];
        if (!copy.store)
            continue;
        copy.store->copyToHost();
        copy.optimizer->copyStateToHost();
        const int64_t parameters = store.unitParameterOffset(stages[s].first);
        const int64_t buffers = store.unitBufferOffset(stages[s].first);
        std::copy_n(copy.store->hostValues(), copy.store->parameterCount(), store.hostValues() + parameters);
        std::copy_n(copy.store->hostBuffers(), copy.store->bufferCount(), store.hostBuffers() + buffers);
        for (size_t v = 0; v < optimizer.state().size(); ++v)
            std::copy(copy.optimizer->state()[v].begin(), copy.optimizer->state()[v].end(),
                      optimizer.state()[v].begin() + parameters);
    }
    store.copyFromHost();
    optimizer.copyStateFromHost();
}

} // namespace lpm::pipeline_detail
