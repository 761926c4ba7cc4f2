# Shared build settings: warnings, sanitizers, and helpers that keep module folders short.

add_library(wsp_warnings INTERFACE)
target_compile_options(wsp_warnings INTERFACE -Wall -Wextra -Wpedantic
    -Wnon-virtual-dtor -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(wsp_warnings INTERFACE -Wshadow=local)
endif()
if(WSP_WERROR)
    target_compile_options(wsp_warnings INTERFACE -Werror)
endif()

if(WSP_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()
if(WSP_FUZZ)
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()

# wsp_module(NAME SOURCES... [DEPS ...]): static library wsp_NAME, includes from the repo root.
function(wsp_module name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
    add_library(wsp_${name} STATIC ${ARG_SOURCES})
    target_include_directories(wsp_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(wsp_${name} PUBLIC ${ARG_DEPS} PRIVATE wsp_warnings)
endfunction()
