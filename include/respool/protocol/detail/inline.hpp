/// @file
/// @brief RESPOOL_ALWAYS_INLINE, for the few hot functions the compiler must not leave
/// out of line (the encoder's byte writers, the reply parser's item readers).
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#  define RESPOOL_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#  define RESPOOL_ALWAYS_INLINE inline
#endif
