import { describe, expect, it } from 'vitest'
import { ArenaPool, RowArena } from './row-arena.ts'

describe('RowArena', () => {
  it('places payloads back to back, a newline between them, as views into its one buffer', () => {
    const arena = new RowArena(Buffer.alloc(64))
    const a = arena.put('["a",1]')!
    const b = arena.put('["é",2]\n["c",3]')!
    expect(a.toString()).toBe('["a",1]')
    expect(b.toString()).toBe('["é",2]\n["c",3]')
    expect(a.buffer).toBe(arena.buf.buffer)
    expect(b.byteOffset - a.byteOffset).toBe(a.length + 1)
    expect(arena.bodyOf([a, b])!.toString()).toBe('["a",1]\n["é",2]\n["c",3]')
  })

  it('refuses what does not fit, measuring multi-byte text exactly near the end, and keeps what it holds', () => {
    const arena = new RowArena(Buffer.alloc(10))
    const first = arena.put('ééé')!
    expect(first.length).toBe(6) // 9 bytes by the rough bound, 6 in fact
    expect(arena.put('abcd')).toBeNull() // 6 + a newline + 4 = 11
    expect(arena.bodyOf([first])!.toString()).toBe('ééé')
    const second = arena.put('abc')!
    expect(second.toString()).toBe('abc') // 10: fills it exactly
    expect(arena.bodyOf([first, second])!.toString()).toBe('ééé\nabc')
  })

  it('has no body for payloads that are not exactly what it holds: one of their own, or one placed and left out', () => {
    const arena = new RowArena(Buffer.alloc(64))
    const a = arena.put('["a"]')!
    expect(arena.bodyOf([a, Buffer.from('["b"]')])).toBeNull()
    arena.put('["dropped"]')
    expect(arena.bodyOf([a])).toBeNull()
  })

  it('starts empty again after reset', () => {
    const arena = new RowArena(Buffer.alloc(16))
    arena.put('x')
    arena.reset()
    expect(arena.bodyOf([])!.length).toBe(0)
    expect(arena.put('yz')!.byteOffset).toBe(0)
  })
})

describe('ArenaPool', () => {
  it('makes at most `count` arenas, hands a given-back one out again, and none when all are taken', () => {
    const pool = new ArenaPool(2, 32)
    const a = pool.take()!
    const b = pool.take()!
    expect(pool.take()).toBeNull()
    a.put('row')
    pool.give(a)
    const again = pool.take()!
    expect(again).toBe(a)
    expect(again.bodyOf([])!.length).toBe(0)
    expect(b.buf.length).toBe(32)
    pool.give(null)
    expect(pool.take()).toBeNull()
  })
})
