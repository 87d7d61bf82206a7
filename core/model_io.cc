// JSON <-> ModelSpec, Hugging Face config mapping, preset lookup.
#include "core/model_io.h"

#include <fstream>

#include "core/json_reader.h"
#include "core/presets.h"

namespace parallax {

ModelSpec ModelFromJson(const nlohmann::json& j, const std::string& where) {
  JsonReader r(j, where + ": model");
  ModelSpec m;
  m.name = r.String("name");
  m.num_layers = static_cast<int>(r.PositiveInt("num_layers"));
  m.hidden = r.PositiveInt("hidden");
  m.heads = static_cast<int>(r.PositiveInt("heads"));
  m.kv_heads = static_cast<int>(r.PositiveInt("kv_heads", m.heads));
  m.head_dim = r.PositiveInt("head_dim", m.hidden % m.heads ? 0 : m.hidden / m.heads);
  m.activation = r.Enum("activation", ActivationNames(), Activation::kGelu);
  m.ffn_hidden = r.PositiveInt("ffn_hidden", 4 * m.hidden);
  m.vocab = r.PositiveInt("vocab");
  m.max_seq = r.PositiveInt("max_seq");
  m.norm = r.Enum("norm", NormNames(), Norm::kLayerNorm);
  m.position = r.Enum("position", PositionNames(), Position::kLearned);
  m.tied_embeddings = r.Bool("tied_embeddings", true);
  m.linear_bias = r.Bool("linear_bias", true);
  m.qkv_bias = r.Bool("qkv_bias", false);
  m.dropout = r.Fraction("dropout", 0.0);
  if (const auto* moe = r.OptionalObject("moe")) {
    JsonReader e(*moe, r.Path("moe"));
    m.moe.num_experts = static_cast<int>(e.PositiveInt("num_experts"));
    m.moe.top_k = static_cast<int>(e.PositiveInt("top_k"));
    m.moe.expert_ffn_hidden = e.PositiveInt("expert_ffn_hidden", m.ffn_hidden);
    m.moe.shared_experts = static_cast<int>(e.NonNegativeInt("shared_experts", 0));
    m.moe.layer_frequency = static_cast<int>(e.PositiveInt("layer_frequency", 1));
    e.RejectUnknownKeys();
  }
  r.RejectUnknownKeys();
  ValidateModel(m, where + ": model");
  return m;
}

nlohmann::json ModelToJson(const ModelSpec& m) {
  auto name_of = [](const auto& table, auto v) {
    for (const auto& [n, x] : table)
      if (x == v) return n;
    return std::string("?");
  };
  nlohmann::json j = {{"name", m.name},
                      {"num_layers", m.num_layers},
                      {"hidden", m.hidden},
                      {"heads", m.heads},
                      {"kv_heads", m.kv_heads},
                      {"head_dim", m.head_dim},
                      {"ffn_hidden", m.ffn_hidden},
                      {"vocab", m.vocab},
                      {"max_seq", m.max_seq},
                      {"norm", name_of(NormNames(), m.norm)},
                      {"activation", name_of(ActivationNames(), m.activation)},
                      {"position", name_of(PositionNames(), m.position)},
                      {"tied_embeddings", m.tied_embeddings},
                      {"linear_bias", m.linear_bias},
                      {"qkv_bias", m.qkv_bias},
                      {"dropout", m.dropout}};
  if (m.moe.enabled()) {
    j["moe"] = {{"num_experts", m.moe.num_experts},
                {"top_k", m.moe.top_k},
                {"expert_ffn_hidden", m.moe.expert_ffn_hidden},
                {"shared_experts", m.moe.shared_experts},
                {"layer_frequency", m.moe.layer_frequency}};
  }
  return j;
}

namespace {

// HF configs carry many keys we do not need; read only ours, never reject.
int64_t HfInt(const nlohmann::json& j, const std::string& where, std::initializer_list<const char*> keys,
              int64_t fallback = -1) {
  for (const char* k : keys) {
    if (j.contains(k) && !j[k].is_null()) {
      if (!j[k].is_number_integer() || j[k].get<int64_t>() <= 0) {
        throw SpecError(where + ": " + k + ": must be a positive integer (got " + j[k].dump() + ")");
      }
      return j[k].get<int64_t>();
    }
  }
  if (fallback >= 0) return fallback;
  throw SpecError(where + ": " + *keys.begin() + ": missing required field");
}

}  // namespace

ModelSpec ModelFromHfConfig(const nlohmann::json& j, const std::string& where) {
  const std::string type = j.value("model_type", "");
  ModelSpec m;
  m.name = j.value("_name_or_path", std::string());
  if (m.name.empty()) m.name = type;
  if (type == "gpt2") {
    m.num_layers = static_cast<int>(HfInt(j, where, {"n_layer"}));
    m.hidden = HfInt(j, where, {"n_embd"});
    m.heads = m.kv_heads = static_cast<int>(HfInt(j, where, {"n_head"}));
    m.ffn_hidden = HfInt(j, where, {"n_inner"}, 4 * m.hidden);
    m.vocab = HfInt(j, where, {"vocab_size"});
    m.max_seq = HfInt(j, where, {"n_positions", "n_ctx"});
    m.norm = Norm::kLayerNorm;
    m.activation = Activation::kGelu;
    m.position = Position::kLearned;
    m.tied_embeddings = j.value("tie_word_embeddings", true);
    m.linear_bias = true;
    m.dropout = j.value("resid_pdrop", 0.0);
  } else if (type == "llama" || type == "mistral" || type == "mixtral" || type == "qwen2") {
    m.num_layers = static_cast<int>(HfInt(j, where, {"num_hidden_layers"}));
    m.hidden = HfInt(j, where, {"hidden_size"});
    m.heads = static_cast<int>(HfInt(j, where, {"num_attention_heads"}));
    m.kv_heads = static_cast<int>(HfInt(j, where, {"num_key_value_heads"}, m.heads));
    m.ffn_hidden = HfInt(j, where, {"intermediate_size"});
    m.vocab = HfInt(j, where, {"vocab_size"});
    m.max_seq = HfInt(j, where, {"max_position_embeddings"});
    m.norm = Norm::kRmsNorm;
    m.activation = Activation::kSwiGlu;
    m.position = Position::kRope;
    m.tied_embeddings = j.value("tie_word_embeddings", false);
    m.linear_bias = false;
    m.qkv_bias = type == "qwen2";
    m.dropout = j.value("attention_dropout", 0.0);
    if (type == "mixtral") {
      m.moe.num_experts = static_cast<int>(HfInt(j, where, {"num_local_experts"}));
      m.moe.top_k = static_cast<int>(HfInt(j, where, {"num_experts_per_tok"}));
      m.moe.expert_ffn_hidden = m.ffn_hidden;
    }
  } else {
    throw SpecError(where + ": model_type: unsupported \"" + type +
                    "\"; supported: gpt2, llama, mistral, mixtral, qwen2");
  }
  m.head_dim = HfInt(j, where, {"head_dim"}, m.hidden % m.heads ? 0 : m.hidden / m.heads);
  ValidateModel(m, where);
  return m;
}

void ValidateModel(const ModelSpec& m, const std::string& where) {
  auto fail = [&](const std::string& field, const std::string& rule) {
    throw SpecError(where + "." + field + ": " + rule);
  };
  if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0) {
    fail("kv_heads", "must divide heads (" + std::to_string(m.heads) + "), got " + std::to_string(m.kv_heads));
  }
  if (m.head_dim <= 0) fail("heads", "must divide hidden (" + std::to_string(m.hidden) + ") or head_dim must be given");
  if (m.moe.enabled()) {
    if (m.moe.top_k > m.moe.num_experts) fail("moe.top_k", "must be at most moe.num_experts");
    if (m.moe.layer_frequency > m.num_layers) fail("moe.layer_frequency", "must be at most num_layers");
  }
}

ModelSpec ResolveModel(const std::string& name_or_path) {
  if (const char* text = FindModelPreset(name_or_path)) {
    return ModelFromJson(ParseJsonText(text, "models/" + name_or_path + ".json"),
                         "models/" + name_or_path + ".json");
  }
  const bool looks_like_file = name_or_path.find('/') != std::string::npos ||
                               name_or_path.find(".json") != std::string::npos;
  if (!looks_like_file) {
    throw SpecError("--model: unknown preset \"" + name_or_path + "\"" +
                    DidYouMean(name_or_path, ModelPresetNames()) + "; see `parallax models`");
  }
  const nlohmann::json j = ParseJsonFile(name_or_path);
  if (j.is_object() && j.contains("model_type")) return ModelFromHfConfig(j, name_or_path);
  return ModelFromJson(j, name_or_path);
}

std::vector<std::string> ModelPresetNames() { return PresetNames(PresetKind::kModel); }

}  // namespace parallax
