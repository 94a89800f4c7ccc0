import Glibc
import VZExtract

// The template extraction helper of `vzctl create` (ExtractWorker). A
// binary of its own so that only it links libarchive (and libarchive's
// libxml2 and ICU): every vzctl start, exec or status would otherwise pay
// about 3 ms to load them.
exit(ExtractWorker.main(arguments: Array(CommandLine.arguments.dropFirst())))
