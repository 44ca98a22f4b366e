import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import AddDealForm from './AddDealForm.svelte';

function form(locale?: string) {
  const onadd = vi.fn();
  render(AddDealForm, { stageName: 'Lead in', onadd, oncancel: () => {}, ...(locale ? { locale } : {}) });
  const type = async (title: string, value: string) => {
    await fireEvent.input(screen.getByLabelText('Deal title'), { target: { value: title } });
    await fireEvent.input(screen.getByLabelText('Deal value'), { target: { value } });
  };
  const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Add deal' }));
  return { onadd, type, submit };
}

describe('AddDealForm', () => {
  it('reads "$5,000" and "12k", showing the amount before it is added', async () => {
    const { onadd, type, submit } = form('en-US');
    await type('Acme', '12k');
    expect(screen.getByRole('status').textContent).toBe('= $12,000');
    await submit();
    expect(onadd).toHaveBeenLastCalledWith({ title: 'Acme', value: 12000 });
    await type('Globex', '$5,000');
    await submit();
    expect(onadd).toHaveBeenLastCalledWith({ title: 'Globex', value: 5000 });
  });

  it('reads amounts the German way in a de-DE locale', async () => {
    const { onadd, type, submit } = form('de-DE');
    await type('Initech', '5.000,50');
    await submit();
    expect(onadd).toHaveBeenLastCalledWith({ title: 'Initech', value: 5000.5 });
  });

  it.each([
    ['0x1F', /hexadecimal/],
    ['1e9', /no exponents/],
    ['-5', /cannot be negative/],
    ['12kk', /enter an amount/]
  ])('refuses "%s" and adds nothing', async (typed, reason) => {
    const { onadd, type, submit } = form('en-US');
    await type('Umbrella', typed);
    expect(screen.getByRole('status').textContent).toBe('');
    await submit();
    expect(screen.getByRole('alert').textContent).toMatch(reason);
    expect(onadd).not.toHaveBeenCalled();
  });

  it('adds a deal worth nothing when the value is left empty', async () => {
    const { onadd, type, submit } = form();
    await type('Stark', '');
    await submit();
    expect(onadd).toHaveBeenLastCalledWith({ title: 'Stark', value: 0 });
  });
});
