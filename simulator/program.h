// The per-rank program IR shared by the simulator and the runtime.
//
// A plan expands into one Program per pipeline stage: an ordered list of
// Instructions (forward, backward or its input/weight halves, p2p sends and
// receives, data-parallel collectives, optimizer step), each tagged with the
// stream it runs on. All TP/DP ranks of a stage run the same program. Chunk c on
// stage s holds virtual stage c·pp + s (Megatron's interleaved layout). The text
// form (one instruction per line, e.g. "F c0 mb3", "SEND_F c0 mb3 -> 2 (8388608 B)")
// makes schedules diffable and parses back to the same programs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parallax {

enum class OpKind : uint8_t {
  kForward,          // "F"       forward of (chunk, micro_batch)
  kBackward,         // "B"       full backward (input + weight grads)
  kBackwardInput,    // "BI"      input-grad half of the backward (zero-bubble)
  kBackwardWeight,   // "BW"      weight-grad half of the backward (zero-bubble)
  kSendActivation,   // "SEND_F"  activation to the next virtual stage
  kRecvActivation,   // "RECV_F"  activation from the previous virtual stage
  kSendGradient,     // "SEND_B"  input grad to the previous virtual stage
  kRecvGradient,     // "RECV_B"  output grad from the next virtual stage
  kDpReduceScatter,  // "RS"      gradient reduce-scatter over DP (ZeRO >= 1)
  kDpAllReduce,      // "AR"      gradient all-reduce over DP (ZeRO 0)
  kParamAllGather,   // "AG"      parameter all-gather over DP (ZeRO 1/2 after the step, ZeRO-3 before use)
  kOptimizerStep,    // "OPT"
};

enum class Stream : uint8_t { kCompute, kP2p, kDataParallel };

// Largest chunk, peer stage, bucket and part count an Instruction holds
// (16-bit fields: a 1T-parameter schedule has ~400k instructions, and 24 bytes
// each instead of 40 is memory the simulator does not have to touch).
// ValidateScheduleSpec and the text parser reject anything larger.
constexpr int kMaxInstructionField = 32767;

// Fields that do not apply are -1 or 0 (bytes, num_parts).
// chunk/micro_batch of a p2p instruction are the *local* ones of the rank that
// runs it (the peer's chunk follows from virtual stages, see PeerOf).
struct Instruction {
  OpKind op = OpKind::kForward;
  Stream stream = Stream::kCompute;
  int16_t chunk = -1;
  int micro_batch = -1;
  int16_t peer = -1;       // peer stage of a send/recv
  int16_t bucket = -1;     // gradient / parameter bucket within the chunk
  int16_t part = -1;       // part index of a split backward (0..num_parts-1)
  int16_t num_parts = 0;   // 0 = not split
  int64_t bytes = 0;       // message / collective payload per rank

  bool operator==(const Instruction& o) const;
  bool operator!=(const Instruction& o) const { return !(*this == o); }
};

struct Program {
  int stage = 0;
  std::vector<Instruction> instructions;
};

// The stream an op runs on (compute ops and OPT: compute; p2p: p2p; RS/AR/AG: DP).
Stream StreamOf(OpKind op);
// Short mnemonic used by the text form ("F", "SEND_F", "RS", ...).
const char* OpName(OpKind op);
// (Inline: called once or more per instruction when programs are generated and scanned.)
inline bool IsComputeOp(OpKind op) {  // F, B, BI, BW
  return op == OpKind::kForward || op == OpKind::kBackward || op == OpKind::kBackwardInput ||
         op == OpKind::kBackwardWeight;
}
inline bool IsSendOp(OpKind op) { return op == OpKind::kSendActivation || op == OpKind::kSendGradient; }
inline bool IsRecvOp(OpKind op) { return op == OpKind::kRecvActivation || op == OpKind::kRecvGradient; }
// B, BI (the op that consumes the activations)
inline bool IsBackwardOp(OpKind op) { return op == OpKind::kBackward || op == OpKind::kBackwardInput; }
// True if the op produces weight gradients (B, or BW).
inline bool ProducesWeightGrad(OpKind op) { return op == OpKind::kBackward || op == OpKind::kBackwardWeight; }

// Constructors that fill the stream and the unused fields.
Instruction ComputeOp(OpKind op, int chunk, int micro_batch);
Instruction P2pOp(OpKind op, int chunk, int micro_batch, int peer, int64_t bytes);
Instruction DpOp(OpKind op, int chunk, int bucket, int64_t bytes);
Instruction OptimizerStep();

// Virtual stage of (chunk, stage) and the peer of a p2p op from (chunk, stage).
// Returns {peer_stage, peer_chunk}; throws std::invalid_argument if there is no
// neighbour (first virtual stage receiving an activation, ...).
int VirtualStage(int chunk, int stage, int pp);
struct PeerChunk {
  int stage;
  int chunk;
};
PeerChunk PeerOf(OpKind p2p_op, int chunk, int stage, int pp, int vpp);

// Text form. One instruction per line, optional fields in a fixed order:
//   OP [cC] [mbM] [part I/N] [bucket K] [-> PEER | <- PEER] [(BYTES B)]
// e.g. "F c0 mb3", "B c1 mb7 part 1/4", "SEND_F c0 mb3 -> 2 (8388608 B)",
// "RS c0 bucket 2 (1048576 B)", "OPT". Parsing throws std::invalid_argument.
std::string ToString(const Instruction& instruction);
Instruction ParseInstruction(const std::string& line);
// All programs: "stage S" header lines, then one indented instruction per line.
std::string ProgramsToText(const std::vector<Program>& programs);
std::vector<Program> ProgramsFromText(const std::string& text);

}  // namespace parallax
