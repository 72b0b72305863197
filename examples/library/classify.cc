// Classifies the faces of one photo with the maskdetect library: the same engine, thresholds
// and decoding as `maskdetect --input PHOTO --detector yunet`. Prints one line per face:
// label, confidence and box (x y w h, in the photo's pixels).
#include <iostream>
#include <maskdetect/engine.hpp>
#include <maskdetect/errors.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: classify PHOTO\n";
    return 2;
  }
  maskdetect::EngineOptions options;
  options.model = MASKDETECT_MODEL_DIR "/mask_mobilenetv2.onnx";
  options.detector.engine = "yunet";
  options.detector.model = MASKDETECT_MODEL_DIR "/yunet_n_640_640.onnx";
  try {
    const maskdetect::EngineConfig config = maskdetect::EngineConfig::resolve(options);
    const auto engine = maskdetect::make_engine(config);
    const maskdetect::FileAnalysis result = maskdetect::analyze_file(*engine, argv[1], {});
    for (const maskdetect::Face& face : result.analysis.faces)
      std::cout << face.label << ' ' << face.confidence << ' ' << face.box.x << ' ' << face.box.y
                << ' ' << face.box.width << ' ' << face.box.height << '\n';
    std::cerr << result.analysis.faces.size() << " face(s) in " << argv[1] << '\n';
    return 0;
  } catch (const maskdetect::SetupError& e) {  // the model or detector could not be loaded
    std::cerr << "classify: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {  // InputError: not a usable image
    std::cerr << "classify: " << argv[1] << ": " << e.what() << '\n';
    return 1;
  }
}
