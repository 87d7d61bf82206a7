// Temp file + rename.
#include "cli/atomic_file.h"

#include <cstdio>
#include <fstream>

#include <unistd.h>

#include "core/errors.h"

namespace parallax {

void WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw SpecError(path + ": cannot write file");
    out << text;
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw SpecError(path + ": cannot write file");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw SpecError(path + ": cannot write file");
  }
}

}  // namespace parallax
