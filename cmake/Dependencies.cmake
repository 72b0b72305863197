# Every dependency comes from a Debian package installed by scripts/setup.sh.
find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc imgcodecs videoio objdetect dnn highgui)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
find_package(TBB REQUIRED)         # libtbb-dev: the ordered parallel pipeline
find_package(pugixml REQUIRED)     # libpugixml-dev: PASCAL VOC annotations
find_package(PkgConfig REQUIRED)
# libavformat-dev: reading a video's real frame size before OpenCV decodes any frame; with
# libavcodec-dev and libswscale-dev, writing annotated videos with their source's audio.
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale)
# libxcb1-dev: --show checks that a display can be opened before any work starts (OpenCV's Qt
# window aborts the process when it cannot).
pkg_check_modules(XCB REQUIRED IMPORTED_TARGET xcb)
# libcpp-httplib-dev: the HTTP server of `maskdetect serve`.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
