// Text generation (train/text_generation.h): the next byte comes from the
// logits of the last filled position of the window, only the last T bytes of
// the text count, draws follow the seed, and other models are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "devices/backend_factory.h"
#include "expect_error.h"
#include "forwarding_backend.h"
#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "tensor/error.h"
#include "train/text_generation.h"

namespace lpm {
namespace {

class TextGeneration : public testing::Test {
protected:
    void SetUp() override { store_.initialize(7); }

    std::string continued(const std::string& prompt, int64_t bytes, float temperature, uint64_t seed)
    {
        return continueText(*backend_, model_, prompt, GenerationOptions{bytes, temperature, seed});
    }

    std::unique_ptr<Backend> backend_ = makeBackend(BackendRequest{});
    Model model_ = buildModel("gpt-mini");
    ParameterStore store_{model_};
};

TEST_F(TextGeneration, TheLikeliestByteIsTheArgmaxAtThePromptsLastPosition)
{
    // Computed here independently: the prompt in a window padded with 'x'
    // (generation pads with zeros), the logits of its last byte's position.
    const std::string prompt = "pipeline stages";
    Tensor window(model_.inputShape(1));
    const int64_t tokens = model_.tokens();
    for (int64_t t = 0; t < tokens; ++t)
        window.data()[t] = float(t < int64_t(prompt.size()) ? prompt[size_t(t)] : 'x');
    std::unique_ptr<LayerContext> context;
    Tensor activation = std::move(window);
    for (int unit = 0; unit < model_.unitCount(); ++unit) {
        activation = model_.unit(unit).forward(*backend_, std::move(activation), StepInfo{false, 0, 0}, context);
        context.reset();
    }
    const float* logits = activation.data() + (int64_t(prompt.size()) - 1) * 256;
    const auto expected = char(std::max_element(logits, logits + 256) - logits);
    EXPECT_EQ(continued(prompt, 1, 0.0f, 1), std::string(1, expected));
}

TEST_F(TextGeneration, OnlyTheLastContextBytesCount)
{
    std::string longer(150, 'a'), other(150, 'b');
    for (size_t i = 0; i < 150; ++i)
        longer[i] = other[i] = char('a' + i % 26);
    std::fill(other.begin(), other.begin() + 150 - 64, '#'); // differs only before the last 64 bytes
    EXPECT_EQ(continued(longer, 30, 1.0f, 5), continued(other, 30, 1.0f, 5));
    EXPECT_EQ(continued(longer, 30, 0.0f, 5), continued(other, 30, 0.0f, 5));
}

TEST_F(TextGeneration, DrawsFollowTheSeed)
{
    const std::string first = continued("the ", 50, 1.0f, 11);
    EXPECT_EQ(first.size(), 50u);
    EXPECT_EQ(continued("the ", 50, 1.0f, 11), first);
    EXPECT_NE(continued("the ", 50, 1.0f, 12), first);
    // Greedy: no draws, the seed does not matter; a long continuation slides the window.
    EXPECT_EQ(continued("the ", 80, 0.0f, 1), continued("the ", 80, 0.0f, 2));
    // Each byte is handed over as it is drawn.
    std::string streamed;
    const std::string result =
        continueText(*backend_, model_, "", GenerationOptions{20, 0.7f, 3}, [&](char byte) { streamed += byte; });
    EXPECT_EQ(streamed, result);
}

TEST(TextGenerationErrors, ModelsOfImagesAndBadOptionsAreRefused)
{
    const std::unique_ptr<Backend> backend = makeBackend(BackendRequest{});
    Model mlp = buildModel("mlp");
    ParameterStore store(mlp);
    expectError<InvalidArgument>([&] { continueText(*backend, mlp, "x", GenerationOptions{}); },
                                 {"mlp is not a byte-level language model"});
    Model gpt = buildModel("gpt-mini");
    ParameterStore gptStore(gpt);
    expectError<InvalidArgument>(
        [&] {
            continueText(*backend, gpt, "x", GenerationOptions{5, -1.0f, 1});
        },
        {"temperature", "-1"});
    expectError<InvalidArgument>(
        [&] {
            continueText(*backend, gpt, "x", GenerationOptions{-2, 1.0f, 1});
        },
        {"-2 bytes"});
    // It reads the logits on the host: a backend whose memory is elsewhere is refused.
    OffHostCpuBackend offHost;
    expectError<InvalidArgument>([&] { continueText(offHost, gpt, "x", GenerationOptions{}); },
                                 {"text generation runs on a backend in host memory, not off-host-cpu"});
}

} // namespace
} // namespace lpm
