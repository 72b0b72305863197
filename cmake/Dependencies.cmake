# Every dependency comes from a Debian package installed by scripts/setup.sh.
find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc imgcodecs videoio objdetect dnn)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
