// Loading models: our format (strict), Hugging Face config.json for the
// supported families, presets, and the one-line errors for bad input.
#include "core/model_io.h"

#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/json_reader.h"

namespace parallax {
namespace {

nlohmann::json Tiny() {
  return {{"name", "t"}, {"num_layers", 2}, {"hidden", 64}, {"heads", 4}, {"vocab", 256}, {"max_seq", 64}};
}

std::string ErrorOf(const nlohmann::json& j) {
  try {
    ModelFromJson(j, "m.json");
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelJson, DefaultsAndRoundTrip) {
  const ModelSpec m = ModelFromJson(Tiny(), "m.json");
  EXPECT_EQ(m.kv_heads, 4);
  EXPECT_EQ(m.head_dim, 16);
  EXPECT_EQ(m.ffn_hidden, 256);
  const ModelSpec back = ModelFromJson(ModelToJson(m), "again");
  EXPECT_EQ(ModelToJson(back), ModelToJson(m));
  const ModelSpec mixtral = ResolveModel("mixtral-8x7b");
  EXPECT_EQ(ModelToJson(ModelFromJson(ModelToJson(mixtral), "x")), ModelToJson(mixtral));
}

TEST(ModelJson, BadInputNamesFileFieldAndRule) {
  auto j = Tiny();
  j["heads"] = -3;
  EXPECT_EQ(ErrorOf(j), "m.json: model.heads: must be a positive integer (got -3)");
  j = Tiny();
  j["hiden"] = 64;
  EXPECT_EQ(ErrorOf(j), "m.json: model.hiden: unknown key (did you mean \"hidden\"?)");
  j = Tiny();
  j.erase("vocab");
  EXPECT_EQ(ErrorOf(j), "m.json: model.vocab: missing required field");
  j = Tiny();
  j["kv_heads"] = 3;
  EXPECT_EQ(ErrorOf(j), "m.json: model.kv_heads: must divide heads (4), got 3");
  j = Tiny();
  j["norm"] = "rmsnrom";
  EXPECT_EQ(ErrorOf(j), "m.json: model.norm: unknown value \"rmsnrom\" (did you mean \"rmsnorm\"?); allowed: layernorm, rmsnorm");
  j = Tiny();
  j["moe"] = {{"num_experts", 4}, {"top_k", 8}};
  EXPECT_EQ(ErrorOf(j), "m.json: model.moe.top_k: must be at most moe.num_experts");
  j = Tiny();
  j["hidden"] = 66;
  EXPECT_NE(ErrorOf(j).find("model.heads: must divide hidden (66)"), std::string::npos);
}

TEST(ModelJson, MalformedJsonNamesTheFile) {
  try {
    ParseJsonText("{\"name\": ", "bad.json");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("bad.json: malformed JSON: parse error", 0), 0u) << e.what();
  }
}

TEST(ModelPresets, UnknownNameSuggestsClosest) {
  try {
    ResolveModel("llama3-8");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--model: unknown preset \"llama3-8\" (did you mean \"llama3-8b\"?); see `parallax models`");
  }
  EXPECT_GE(ModelPresetNames().size(), 22u);
  for (const auto& name : ModelPresetNames()) EXPECT_EQ(ResolveModel(name).name, name);
}

TEST(HfConfig, Families) {
  const nlohmann::json gpt2 = {{"model_type", "gpt2"}, {"n_layer", 12},   {"n_embd", 768},   {"n_head", 12},
                               {"n_positions", 1024},  {"vocab_size", 50257}, {"n_inner", nullptr}};
  ModelSpec m = ModelFromHfConfig(gpt2, "config.json");
  EXPECT_NEAR(CountParams(m).total() / 1e6, 124.44, 0.01);  // HF gpt2: 124,439,808

  const nlohmann::json llama = {{"model_type", "llama"},         {"num_hidden_layers", 32},
                                {"hidden_size", 4096},           {"num_attention_heads", 32},
                                {"num_key_value_heads", 8},      {"intermediate_size", 14336},
                                {"vocab_size", 128256},          {"max_position_embeddings", 8192},
                                {"tie_word_embeddings", false},  {"rope_theta", 500000.0}};
  m = ModelFromHfConfig(llama, "config.json");
  EXPECT_EQ(ModelToJson(m).dump(), [] {
    auto j = ModelToJson(ResolveModel("llama3-8b"));
    j["name"] = "llama";
    return j.dump();
  }());

  nlohmann::json mistral = llama;
  mistral["model_type"] = "mistral";
  mistral["vocab_size"] = 32000;
  mistral["max_position_embeddings"] = 32768;
  EXPECT_NEAR(CountParams(ModelFromHfConfig(mistral, "c")).total() / 1e9, 7.24, 0.01);  // Mistral-7B

  nlohmann::json mixtral = mistral;
  mixtral["model_type"] = "mixtral";
  mixtral["num_local_experts"] = 8;
  mixtral["num_experts_per_tok"] = 2;
  m = ModelFromHfConfig(mixtral, "c");
  EXPECT_NEAR(CountParams(m).total() / 1e9, 46.7, 0.05);

  // Qwen2-7B: 28 layers, 3584 hidden, 28 heads / 4 KV, FFN 18944, vocab 152064, QKV bias: 7.62B.
  const nlohmann::json qwen = {{"model_type", "qwen2"},        {"num_hidden_layers", 28},
                               {"hidden_size", 3584},          {"num_attention_heads", 28},
                               {"num_key_value_heads", 4},     {"intermediate_size", 18944},
                               {"vocab_size", 152064},         {"max_position_embeddings", 32768},
                               {"tie_word_embeddings", false}};
  EXPECT_NEAR(CountParams(ModelFromHfConfig(qwen, "c")).total() / 1e9, 7.62, 0.01);
}

TEST(HfConfig, Errors) {
  try {
    ModelFromHfConfig({{"model_type", "bert"}}, "config.json");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()),
              "config.json: model_type: unsupported \"bert\"; supported: gpt2, llama, mistral, mixtral, qwen2");
  }
  try {
    ModelFromHfConfig({{"model_type", "llama"}, {"num_hidden_layers", 0}}, "config.json");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), "config.json: num_hidden_layers: must be a positive integer (got 0)");
  }
}

}  // namespace
}  // namespace parallax
