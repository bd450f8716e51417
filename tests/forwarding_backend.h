// Test backends built on the CPU reference:
// - ForwardingCpuBackend forwards every call to a one-thread CpuBackend and
//   shows every pointer argument to checkPointer() first;
// - OffHostCpuBackend claims its memory is not the host's (as a GPU's is not),
//   allocates every block itself, and fails a test when a call is given a
//   pointer outside its blocks (or those of a pretend GPU it was granted
//   peer access to): a host pointer handed to a GPU would be the same bug.
//   Its results equal the CPU's bit for bit.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "tensor/tensor.h"

namespace lpm {

class ForwardingCpuBackend : public Backend {
public:
    std::string name() const override { return "forwarding-cpu"; }
    bool supports(BackendOp op) const override { return cpu_.supports(op); }
    int threadCount() const override { return 1; }
    void synchronize() override {}

    void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              const float* b, int64_t ldb, float beta, float* c, int64_t ldc) override
    {
        check({a, b, c});
        cpu_.gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    void addRowBias(int64_t rows, int64_t features, const float* bias, float* y) override
    {
        check({bias, y});
        cpu_.addRowBias(rows, features, bias, y);
    }
    void accumulateColumnSums(int64_t rows, int64_t features, const float* dy, float* gradBias) override
    {
        check({dy, gradBias});
        cpu_.accumulateColumnSums(rows, features, dy, gradBias);
    }
    void conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight, const float* bias,
                       float* output) override
    {
        check({input, weight, bias, output});
        cpu_.conv2dForward(g, input, weight, bias, output);
    }
    void conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight, const float* dy, float* dx,
                        float* dw, float* db) override
    {
        check({input, weight, dy, dx, dw, db});
        cpu_.conv2dBackward(g, input, weight, dy, dx, dw, db);
    }
    void conv2dBackwardData(const Conv2dGeometry& g, const float* weight, const float* dy, float* dx,
                            bool hasBias) override
    {
        check({weight, dy, dx});
        cpu_.conv2dBackwardData(g, weight, dy, dx, hasBias);
    }
    void maxPool2dForward(const Pool2dGeometry& g, const float* x, float* y, int32_t* argmax) override
    {
        check({x, y, argmax});
        cpu_.maxPool2dForward(g, x, y, argmax);
    }
    void maxPool2dBackward(const Pool2dGeometry& g, const float* dy, const int32_t* argmax, float* dx) override
    {
        check({dy, argmax, dx});
        cpu_.maxPool2dBackward(g, dy, argmax, dx);
    }
    void avgPool2dForward(const Pool2dGeometry& g, const float* x, float* y) override
    {
        check({x, y});
        cpu_.avgPool2dForward(g, x, y);
    }
    void avgPool2dBackward(const Pool2dGeometry& g, const float* dy, float* dx) override
    {
        check({dy, dx});
        cpu_.avgPool2dBackward(g, dy, dx);
    }
    void reluForward(int64_t count, const float* x, float* y) override
    {
        check({x, y});
        cpu_.reluForward(count, x, y);
    }
    void reluBackward(int64_t count, const float* y, const float* dy, float* dx) override
    {
        check({y, dy, dx});
        cpu_.reluBackward(count, y, dy, dx);
    }
    void addInPlace(int64_t count, const float* x, float* y) override
    {
        check({x, y});
        cpu_.addInPlace(count, x, y);
    }
    void scale(int64_t count, float alpha, float* x) override
    {
        check({x});
        cpu_.scale(count, alpha, x);
    }
    void dropoutForward(int64_t count, float p, uint64_t key, int64_t first, const float* x, float* y,
                        float* mask) override
    {
        check({x, y, mask});
        cpu_.dropoutForward(count, p, key, first, x, y, mask);
    }
    void multiply(int64_t count, const float* a, const float* b, float* y) override
    {
        check({a, b, y});
        cpu_.multiply(count, a, b, y);
    }
    void batchNormForwardTraining(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                                  float* y, float* mean, float* invStd, float* runningMean, float* runningVar) override
    {
        check({x, gamma, beta, y, mean, invStd, runningMean, runningVar});
        cpu_.batchNormForwardTraining(g, x, gamma, beta, y, mean, invStd, runningMean, runningVar);
    }
    void batchNormForwardInference(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                                   const float* mean, const float* var, float* y) override
    {
        check({x, gamma, beta, mean, var, y});
        cpu_.batchNormForwardInference(g, x, gamma, beta, mean, var, y);
    }
    void batchNormBackward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* mean,
                           const float* invStd, const float* dy, float* dx, float* dgamma, float* dbeta) override
    {
        check({x, gamma, mean, invStd, dy, dx, dgamma, dbeta});
        cpu_.batchNormBackward(g, x, gamma, mean, invStd, dy, dx, dgamma, dbeta);
    }
    void layerNormForward(const LayerNormGeometry& g, const float* x, const float* gamma, const float* beta, float* y,
                          float* mean, float* invStd) override
    {
        check({x, gamma, beta, y, mean, invStd});
        cpu_.layerNormForward(g, x, gamma, beta, y, mean, invStd);
    }
    void layerNormBackward(const LayerNormGeometry& g, const float* x, const float* gamma, const float* mean,
                           const float* invStd, const float* dy, float* dx, float* dgamma, float* dbeta) override
    {
        check({x, gamma, mean, invStd, dy, dx, dgamma, dbeta});
        cpu_.layerNormBackward(g, x, gamma, mean, invStd, dy, dx, dgamma, dbeta);
    }
    void geluForward(int64_t count, const float* x, float* y) override
    {
        check({x, y});
        cpu_.geluForward(count, x, y);
    }
    void geluBackward(int64_t count, const float* x, const float* dy, float* dx) override
    {
        check({x, dy, dx});
        cpu_.geluBackward(count, x, dy, dx);
    }
    void embeddingForward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids, const float* table,
                          float* y) override
    {
        check({ids, table, y});
        cpu_.embeddingForward(rows, width, vocabulary, ids, table, y);
    }
    void embeddingBackward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids, const float* dy,
                           float* gradTable) override
    {
        check({ids, dy, gradTable});
        cpu_.embeddingBackward(rows, width, vocabulary, ids, dy, gradTable);
    }
    void causalAttentionForward(const AttentionGeometry& g, const float* qkv, float* out, float* logSumExp) override
    {
        check({qkv, out, logSumExp});
        cpu_.causalAttentionForward(g, qkv, out, logSumExp);
    }
    void causalAttentionBackward(const AttentionGeometry& g, const float* qkv, const float* out, const float* logSumExp,
                                 const float* gradOut, float* gradQkv) override
    {
        check({qkv, out, logSumExp, gradOut, gradQkv});
        cpu_.causalAttentionBackward(g, qkv, out, logSumExp, gradOut, gradQkv);
    }
    double softmaxCrossEntropy(int64_t rows, int64_t classes, const float* logits, const int32_t* labels, float scale,
                               float* grad, int64_t* correct) override
    {
        check({logits, labels, grad});
        return cpu_.softmaxCrossEntropy(rows, classes, logits, labels, scale, grad, correct);
    }
    void sgdUpdate(int64_t count, const SgdHyper& h, float* w, const float* g, float* v) override
    {
        check({w, g, v});
        cpu_.sgdUpdate(count, h, w, g, v);
    }
    void adamUpdate(int64_t count, const AdamHyper& h, float* w, const float* g, float* m, float* v) override
    {
        check({w, g, m, v});
        cpu_.adamUpdate(count, h, w, g, m, v);
    }

protected:
    // Sees every (non-null) pointer argument of every compute call.
    virtual void checkPointer(const void*) {}

    CpuBackend cpu_{1};

private:
    void check(std::initializer_list<const void*> pointers)
    {
        for (const void* pointer : pointers)
            if (pointer != nullptr)
                checkPointer(pointer);
    }
};

// The memory of one pretend GPU: every block its backends allocated. Several
// OffHostCpuBackends (pipeline stages, each on its own thread) may share one.
struct FakeDeviceMemory {
    ~FakeDeviceMemory() { EXPECT_EQ(blocks.size(), 0u) << "blocks still allocated"; }

    std::mutex mutex;
    std::map<const char*, int64_t> blocks; // start → bytes
    int64_t allocations = 0;
    int64_t foreignPointers = 0; // compute calls given a pointer outside these blocks
    int64_t timeMarks = 0;       // markTime calls of its backends

    bool owns(const void* pointer, int64_t bytes)
    {
        const std::lock_guard lock(mutex);
        const char* p = static_cast<const char*>(pointer);
        auto after = blocks.upper_bound(p);
        if (after == blocks.begin())
            return false;
        const auto& [start, size] = *std::prev(after);
        return p >= start && p + bytes <= start + size;
    }
};

class OffHostCpuBackend final : public ForwardingCpuBackend {
public:
    explicit OffHostCpuBackend(std::shared_ptr<FakeDeviceMemory> device = std::make_shared<FakeDeviceMemory>())
        : device_(std::move(device))
    {
    }

    std::string name() const override { return "off-host-cpu"; }
    bool usesHostMemory() const override { return false; }
    bool sharesMemoryWith(const MemoryResource& other) const override
    {
        const auto* offHost = dynamic_cast<const OffHostCpuBackend*>(&other);
        return offHost != nullptr && offHost->device_ == device_;
    }
    bool canReadDirectly(const MemoryResource& other) const override
    {
        const auto* offHost = dynamic_cast<const OffHostCpuBackend*>(&other);
        return offHost != nullptr
               && (offHost->device_ == device_
                   || std::find(peers_.begin(), peers_.end(), offHost->device_) != peers_.end());
    }
    // Lets this backend's kernels and copies use `peer`'s memory too, as a GPU
    // with peer access to another does.
    void grantPeerAccess(std::shared_ptr<FakeDeviceMemory> peer) { peers_.push_back(std::move(peer)); }
    void* allocateBytes(int64_t bytes) override
    {
        void* block = allocateAligned((bytes + 3) / 4);
        const std::lock_guard lock(device_->mutex);
        device_->blocks[static_cast<const char*>(block)] = bytes;
        ++device_->allocations;
        return block;
    }
    void releaseBytes(void* data, int64_t bytes) noexcept override
    {
        {
            const std::lock_guard lock(device_->mutex);
            auto found = device_->blocks.find(static_cast<const char*>(data));
            EXPECT_TRUE(found != device_->blocks.end() && found->second == bytes)
                << "released a block not allocated here";
            if (found != device_->blocks.end())
                device_->blocks.erase(found);
        }
        freeAligned(static_cast<float*>(data));
    }
    void copyFromHost(void* destination, const void* source, int64_t bytes) override
    {
        requireOwned(destination, bytes);
        if (bytes > 0)
            std::memcpy(destination, source, size_t(bytes));
    }
    void copyToHost(void* destination, const void* source, int64_t bytes) override
    {
        requireOwned(source, bytes);
        if (bytes > 0)
            std::memcpy(destination, source, size_t(bytes));
    }
    void copyWithin(void* destination, const void* source, int64_t bytes) override
    {
        requireOwned(destination, bytes);
        requireOwned(source, bytes);
        if (bytes > 0)
            std::memcpy(destination, source, size_t(bytes));
    }
    void zeroBytes(void* data, int64_t bytes) override
    {
        requireOwned(data, bytes);
        if (bytes > 0)
            std::memset(data, 0, size_t(bytes));
    }

    FakeDeviceMemory& device() { return *device_; }

    // A pretend device clock: its calls have finished when they return, so a
    // stamp is the host's steady clock when it is taken.
    int markTime() override
    {
        {
            const std::lock_guard lock(device_->mutex);
            ++device_->timeMarks;
        }
        stamps_.resize(size_t(stampsUsed_ + 1));
        stamps_[size_t(stampsUsed_)] = std::chrono::steady_clock::now();
        return stampsUsed_++;
    }
    double secondsBetween(int from, int to) const override
    {
        return std::chrono::duration<double>(stamps_.at(size_t(to)) - stamps_.at(size_t(from))).count();
    }
    void forgetTimesAfter(int mark) override { stampsUsed_ = std::max(mark + 1, 0); }

protected:
    void checkPointer(const void* pointer) override
    {
        if (!reaches(pointer, 1)) {
            const std::lock_guard lock(device_->mutex);
            ++device_->foreignPointers;
            ADD_FAILURE() << "a compute call got a pointer outside this backend's memory";
        }
    }

private:
    // In this backend's device's blocks, or a peer's.
    bool reaches(const void* pointer, int64_t bytes) const
    {
        return device_->owns(pointer, bytes) || std::any_of(peers_.begin(), peers_.end(), [&](const auto& peer) {
                   return peer->owns(pointer, bytes);
               });
    }
    void requireOwned(const void* pointer, int64_t bytes)
    {
        EXPECT_TRUE(reaches(pointer, bytes)) << "a copy touched memory outside this backend's (and its peers') blocks";
    }

    std::shared_ptr<FakeDeviceMemory> device_;
    std::vector<std::shared_ptr<FakeDeviceMemory>> peers_;      // grantPeerAccess
    std::vector<std::chrono::steady_clock::time_point> stamps_; // markTime
    int stampsUsed_ = 0;
};

} // namespace lpm
