// The per-rank program IR: op metadata, constructors, virtual-stage peers and
// the text form (print and parse). See program.h.
#include "simulator/program.h"

#include <sstream>
#include <stdexcept>

namespace parallax {
namespace {

struct OpInfo {
  OpKind op;
  const char* name;
  Stream stream;
};

// One row per op: the single source of names and streams.
constexpr OpInfo kOps[] = {
    {OpKind::kForward, "F", Stream::kCompute},
    {OpKind::kBackward, "B", Stream::kCompute},
    {OpKind::kBackwardInput, "BI", Stream::kCompute},
    {OpKind::kBackwardWeight, "BW", Stream::kCompute},
    {OpKind::kSendActivation, "SEND_F", Stream::kP2p},
    {OpKind::kRecvActivation, "RECV_F", Stream::kP2p},
    {OpKind::kSendGradient, "SEND_B", Stream::kP2p},
    {OpKind::kRecvGradient, "RECV_B", Stream::kP2p},
    {OpKind::kDpReduceScatter, "RS", Stream::kDataParallel},
    {OpKind::kDpAllReduce, "AR", Stream::kDataParallel},
    {OpKind::kParamAllGather, "AG", Stream::kDataParallel},
    {OpKind::kOptimizerStep, "OPT", Stream::kCompute},
};

// kOps is in OpKind order, so the row is an index away.
const OpInfo& Info(OpKind op) {
  const auto k = static_cast<size_t>(op);
  if (k >= sizeof(kOps) / sizeof(kOps[0]) || kOps[k].op != op) throw std::logic_error("unknown OpKind");
  return kOps[k];
}

// Parses a non-negative integer up to `max`; `what` names the field in the error.
int ParseInt(const std::string& s, const std::string& what, const std::string& line, long long max = 1LL << 30) {
  size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty() || v < 0)
    throw std::invalid_argument("program text: bad " + what + " '" + s + "' in line '" + line + "'");
  if (v > max) {
    throw std::invalid_argument("program text: " + what + " '" + s + "' exceeds " + std::to_string(max) + " in line '" +
                                line + "'");
  }
  return static_cast<int>(v);
}

}  // namespace

bool Instruction::operator==(const Instruction& o) const {
  return op == o.op && stream == o.stream && chunk == o.chunk && micro_batch == o.micro_batch &&
         peer == o.peer && bytes == o.bytes && bucket == o.bucket && part == o.part &&
         num_parts == o.num_parts;
}

static_assert(sizeof(Instruction) == 24, "Instruction is packed to 24 bytes (program.h)");

Stream StreamOf(OpKind op) { return Info(op).stream; }
const char* OpName(OpKind op) { return Info(op).name; }

Instruction ComputeOp(OpKind op, int chunk, int micro_batch) {
  Instruction in;
  in.op = op;
  in.stream = StreamOf(op);
  in.chunk = static_cast<int16_t>(chunk);
  in.micro_batch = micro_batch;
  return in;
}

Instruction P2pOp(OpKind op, int chunk, int micro_batch, int peer, int64_t bytes) {
  Instruction in = ComputeOp(op, chunk, micro_batch);
  in.peer = static_cast<int16_t>(peer);
  in.bytes = bytes;
  return in;
}

Instruction DpOp(OpKind op, int chunk, int bucket, int64_t bytes) {
  Instruction in = ComputeOp(op, chunk, -1);
  in.bucket = static_cast<int16_t>(bucket);
  in.bytes = bytes;
  return in;
}

Instruction OptimizerStep() { return ComputeOp(OpKind::kOptimizerStep, -1, -1); }

int VirtualStage(int chunk, int stage, int pp) { return chunk * pp + stage; }

PeerChunk PeerOf(OpKind p2p_op, int chunk, int stage, int pp, int vpp) {
  const int vs = VirtualStage(chunk, stage, pp);
  // Activations flow to higher virtual stages, gradients to lower ones.
  const bool toward_next = p2p_op == OpKind::kSendActivation || p2p_op == OpKind::kRecvGradient;
  const int peer_vs = toward_next ? vs + 1 : vs - 1;
  if (!IsSendOp(p2p_op) && !IsRecvOp(p2p_op)) throw std::invalid_argument("PeerOf: not a p2p op");
  if (peer_vs < 0 || peer_vs >= pp * vpp)
    throw std::invalid_argument(std::string(OpName(p2p_op)) + " from virtual stage " +
                                std::to_string(vs) + " has no peer (pp*vpp = " +
                                std::to_string(pp * vpp) + ")");
  return {peer_vs % pp, peer_vs / pp};
}

std::string ToString(const Instruction& in) {
  std::ostringstream os;
  os << OpName(in.op);
  if (in.chunk >= 0) os << " c" << in.chunk;
  if (in.micro_batch >= 0) os << " mb" << in.micro_batch;
  if (in.num_parts > 0) os << " part " << in.part << "/" << in.num_parts;
  if (in.bucket >= 0) os << " bucket " << in.bucket;
  if (in.peer >= 0) os << (IsRecvOp(in.op) ? " <- " : " -> ") << in.peer;
  if (in.bytes > 0) os << " (" << in.bytes << " B)";
  return os.str();
}

Instruction ParseInstruction(const std::string& line) {
  std::istringstream is(line);
  std::vector<std::string> tok;
  for (std::string t; is >> t;) tok.push_back(t);
  if (tok.empty()) throw std::invalid_argument("program text: empty instruction");
  Instruction in;
  bool found = false;
  for (const OpInfo& info : kOps)
    if (tok[0] == info.name) {
      in.op = info.op;
      in.stream = info.stream;
      found = true;
    }
  if (!found) throw std::invalid_argument("program text: unknown op '" + tok[0] + "' in line '" + line + "'");
  for (size_t i = 1; i < tok.size(); ++i) {
    const std::string& t = tok[i];
    auto next = [&](const char* what) -> const std::string& {
      if (i + 1 >= tok.size())
        throw std::invalid_argument(std::string("program text: missing ") + what + " in line '" + line + "'");
      return tok[++i];
    };
    if (t.size() > 2 && t.compare(0, 2, "mb") == 0) {
      in.micro_batch = ParseInt(t.substr(2), "micro_batch", line);
    } else if (t.size() > 1 && t[0] == 'c') {
      in.chunk = ParseInt(t.substr(1), "chunk", line, kMaxInstructionField);
    } else if (t == "part") {
      const std::string& pn = next("part");
      const size_t slash = pn.find('/');
      if (slash == std::string::npos)
        throw std::invalid_argument("program text: part must be I/N in line '" + line + "'");
      in.part = ParseInt(pn.substr(0, slash), "part", line, kMaxInstructionField);
      in.num_parts = ParseInt(pn.substr(slash + 1), "num_parts", line, kMaxInstructionField);
      if (in.num_parts < 1 || in.part >= in.num_parts)
        throw std::invalid_argument("program text: part I/N needs 0 <= I < N in line '" + line + "'");
    } else if (t == "bucket") {
      in.bucket = ParseInt(next("bucket"), "bucket", line, kMaxInstructionField);
    } else if (t == "->" || t == "<-") {
      if ((t == "<-") != IsRecvOp(in.op) || !(IsSendOp(in.op) || IsRecvOp(in.op)))
        throw std::invalid_argument("program text: '" + t + "' does not fit " + tok[0] + " in line '" + line + "'");
      in.peer = ParseInt(next("peer"), "peer", line, kMaxInstructionField);
    } else if (t.size() > 1 && t[0] == '(') {
      size_t used = 0;
      const std::string digits = t.substr(1);
      try {
        in.bytes = std::stoll(digits, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != digits.size() || in.bytes < 0 || next("bytes unit") != "B)")
        throw std::invalid_argument("program text: bytes must read '(N B)' in line '" + line + "'");
    } else {
      throw std::invalid_argument("program text: unexpected '" + t + "' in line '" + line + "'");
    }
  }
  return in;
}

std::string ProgramsToText(const std::vector<Program>& programs) {
  std::ostringstream os;
  for (const Program& p : programs) {
    os << "stage " << p.stage << "\n";
    for (const Instruction& in : p.instructions) os << "  " << ToString(in) << "\n";
  }
  return os.str();
}

std::vector<Program> ProgramsFromText(const std::string& text) {
  std::vector<Program> programs;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const std::string body = line.substr(first);
    if (body.compare(0, 6, "stage ") == 0) {
      Program p;
      p.stage = ParseInt(body.substr(6), "stage", line);
      programs.push_back(p);
      continue;
    }
    if (programs.empty())
      throw std::invalid_argument("program text: instruction before the first 'stage S' line: '" + line + "'");
    programs.back().instructions.push_back(ParseInstruction(body));
  }
  return programs;
}

}  // namespace parallax
