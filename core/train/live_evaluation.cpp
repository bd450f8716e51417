#include "train/live_evaluation.h"

#include <algorithm>
#include <cmath>

#include "nn/model_zoo.h"
#include "tensor/error.h"
#include "train/text_generation.h"

namespace lpm {

int64_t liveEvaluationSamplesFor(int64_t trainingSamples, int64_t maxSamples)
{
    const auto share = int64_t(std::ceil(kLiveEvaluationSamplesPerTrainingSample * double(trainingSamples)));
    return std::min(maxSamples, std::max(kLiveEvaluationMinSamples, share));
}

LiveEvaluation::LiveEvaluation(const std::string& modelName, const Dataset& test, int64_t maxSamples, uint64_t seed,
                               int64_t batchSize, int64_t sampleBytes)
    : test_(test), maxSamples_(maxSamples), seed_(seed), modelName_(modelName), batchSize_(batchSize),
      sampleBytes_(sampleBytes)
{
    if (maxSamples < 1)
        throw InvalidArgument("live evaluation needs at least 1 sample, got " + std::to_string(maxSamples));
    if (batchSize < 1)
        throw InvalidArgument("evaluation batch must be at least 1, got " + std::to_string(batchSize));
}

void LiveEvaluation::startRun(int64_t totalSteps, int64_t batch)
{
    const int64_t samples = std::min(test_.count, liveEvaluationSamplesFor(totalSteps * batch, maxSamples_));
    if (samples != subset_.count)
        subset_ = sampleSubset(test_, samples, seed_);
    const std::lock_guard<std::mutex> lock(mutex_);
    totalSteps_ = totalSteps;
    every_ = std::max<int64_t>(1, totalSteps / 20);
    lastChosen_ = Clock::now();
    chosen_.clear();
    lastSeconds_ = 0.0;
    lastSample_.reset();
}

bool LiveEvaluation::due(int64_t stepsDone)
{
    const std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    const bool counted = stepsDone % every_ == 0 || stepsDone == totalSteps_;
    const double interval = std::max(kLiveEvaluationSeconds, lastSeconds_ / kLiveEvaluationShare);
    const bool late = std::chrono::duration<double>(now - lastChosen_).count() >= interval;
    if (!counted && !late)
        return false;
    lastChosen_ = now;
    chosen_.insert(stepsDone);
    return true;
}

bool LiveEvaluation::takeChosen(int64_t stepsDone)
{
    const std::lock_guard<std::mutex> lock(mutex_);
    return chosen_.erase(stepsDone) > 0;
}

EvaluationResult LiveEvaluation::evaluate(Backend& backend, Model& model)
{
    return timedEvaluation(backend, model);
}

EvaluationResult LiveEvaluation::timedEvaluation(Backend& backend, Model& model)
{
    const Clock::time_point start = Clock::now();
    EvaluationResult result = evaluateModel(backend, model, subset_, batchSize_);
    const bool sampleDue =
        !lastSample_ || std::chrono::duration<double>(Clock::now() - *lastSample_).count() >= kLiveSampleSeconds;
    if (sampleDue && sampleBytes_ > 0 && model.tokens() > 0 && backend.usesHostMemory() && !subset_.images.empty()) {
        lastSample_ = Clock::now();
        const int64_t promptBytes = std::min(kLiveSamplePromptBytes, model.tokens());
        for (int64_t t = 0; t < promptBytes; ++t)
            result.samplePrompt.push_back(static_cast<char>(int(subset_.images[size_t(t)])));
        result.sampleText =
            continueText(backend, model, result.samplePrompt, {sampleBytes_, kLiveSampleTemperature, seed_});
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    lastSeconds_ = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
}

EvaluationResult LiveEvaluation::evaluate(Backend& backend, const WeightsSnapshot& snapshot)
{
    if (!snapshotStore_) {
        snapshotModel_ = std::make_unique<Model>(buildModel(modelName_));
        snapshotStore_ = std::make_unique<ParameterStore>(*snapshotModel_);
        if (!backend.usesHostMemory())
            snapshotStore_->placeOn(backend);
    }
    if (int64_t(snapshot.values.size()) != snapshotStore_->parameterCount()
        || int64_t(snapshot.buffers.size()) != snapshotStore_->bufferCount())
        throw InvalidArgument("live evaluation: a snapshot of " + std::to_string(snapshot.values.size())
                              + " parameters and " + std::to_string(snapshot.buffers.size()) + " buffers for model "
                              + modelName_ + " of " + std::to_string(snapshotStore_->parameterCount()) + " and "
                              + std::to_string(snapshotStore_->bufferCount()));
    std::copy(snapshot.values.begin(), snapshot.values.end(), snapshotStore_->hostValues());
    std::copy(snapshot.buffers.begin(), snapshot.buffers.end(), snapshotStore_->hostBuffers());
    snapshotStore_->copyFromHost(); // (nothing on the host)
    return timedEvaluation(backend, *snapshotModel_);
}

} // namespace lpm
